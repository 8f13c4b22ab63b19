/**
 * What the Web UI shows and filters by: a memo (always available) and typed search attributes
 * (registered on the server by `npm start` or `ensureSearchAttributes` before a portfolio starts).
 */
import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import type { PortfolioConfig } from '../domain/config';

export const PORTFOLIO_ID_KEY = defineSearchAttributeKey('TradingPortfolioId', SearchAttributeType.KEYWORD);
export const TRADING_MODE_KEY = defineSearchAttributeKey('TradingMode', SearchAttributeType.KEYWORD);
export const MARKET_SOURCE_KEY = defineSearchAttributeKey('TradingMarket', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTE_KEYS = [PORTFOLIO_ID_KEY, TRADING_MODE_KEY, MARKET_SOURCE_KEY];

export function portfolioMemo(config: PortfolioConfig): Record<string, string> {
  return { portfolioId: config.portfolioId, mode: config.mode, market: config.market };
}

export function cycleSearchAttributes(config: PortfolioConfig): TypedSearchAttributes {
  return new TypedSearchAttributes([
    { key: PORTFOLIO_ID_KEY, value: config.portfolioId },
    { key: TRADING_MODE_KEY, value: config.mode },
    { key: MARKET_SOURCE_KEY, value: config.market },
  ]);
}
