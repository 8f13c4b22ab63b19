/**
 * What the LLM reviewer reads besides the proposal: the chart's key readings, the regime and breaker, the recent
 * trades on the symbol and how much of each limit is used. Built by the cycle from what it already holds (pure,
 * deterministic: it runs in the workflow), so the prompt is derived from the activity's input alone and a verdict can
 * be reproduced from history. activities/llm/prompt.ts turns it into text.
 */
import type { CycleTrade } from '../bookOrder';
import { FALLBACK_OUTCOME, type LlmPolicy, type RiskLimits } from '../config';
import { equity, exposure, positionValue } from '../ledger';
import { panelOf } from '../llmConsensus';
import type { MarketStats } from '../marketStats';
import type { StrategyOutcome } from '../strategies';
import type { FeatureVector, LlmVerdict, PortfolioBook, TradeProposal } from '../types';

/** The model features a human reviewer would look at (trend, momentum, volatility, volume), under either manifest's names. */
export const KEY_INDICATORS = [
  'close_to_sma_50', 'close_to_sma50', 'sma_20_to_sma_50', 'sma20_to_sma50', 'ema_12_to_ema_26', 'ema12_to_ema26', 'adx_14',
  'rsi_14', 'macd_hist_to_close', 'ret_24', 'roc_10', 'atr_14_to_close', 'atr_to_close', 'volatility_24', 'volatility_20',
  'volume_ratio_20', 'btc_ret_24',
] as const;
/** Enough of a symbol's history to show a pattern; more only lengthens a prompt a small model reads slowly. */
export const RECENT_TRADES_PER_SYMBOL = 5;

export interface SymbolReview {
  /** ATR(14) as a fraction of the price. */
  atrPct?: number;
  /** Close-to-close move over the last day of candles. */
  change24h?: number;
  indicators?: Record<string, number>;
  /** The strategy engine's regime and breaker for the symbol (strategy portfolios only). */
  regime?: string | null;
  breaker?: string;
}

/** One order's fills on a symbol, summed; realizedPnl is the sells' (net of fees), 0 for buys. */
export interface RecentTrade {
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  price: number;
  realizedPnl: number;
  time?: number;
}

export interface LimitUsage {
  limit: string;
  used: number;
  max: number;
}

export interface ReviewContext {
  market: Record<string, SymbolReview>;
  /** The market-wide breaker of the strategy engine, when it runs. */
  marketBreaker?: string;
  recentTrades: RecentTrade[];
  usage: LimitUsage[];
}

export interface ReviewSources {
  proposals: TradeProposal[];
  book: PortfolioBook;
  stats: Record<string, MarketStats>;
  prices: Record<string, number>;
  features: FeatureVector[];
  strategy?: StrategyOutcome;
  limits: RiskLimits;
  dailyNotional: number;
  /** The portfolio's latest fills (CycleInput.recentTrades), oldest first. */
  trades?: CycleTrade[];
}

export function reviewContext(src: ReviewSources): ReviewContext {
  const symbols = [...new Set(src.proposals.map((p) => p.symbol))];
  const market: Record<string, SymbolReview> = {};
  for (const symbol of symbols) market[symbol] = symbolReview(symbol, src);
  const eq = equity(src.book, src.prices);
  const held = Object.values(src.book.positions).filter((p) => p.quantity > 0);
  const weights = held.map((p) => (eq > 0 ? positionValue(src.book, p.symbol, src.prices) / eq : 0));
  const { limits } = src;
  return {
    market,
    ...(src.strategy ? { marketBreaker: src.strategy.breaker.market } : {}),
    recentTrades: recentTradesOn(symbols, src.trades ?? []),
    usage: [
      { limit: 'maxTotalExposure', used: eq > 0 ? exposure(src.book, src.prices) / eq : 0, max: limits.maxTotalExposure },
      { limit: 'maxAssetWeight', used: Math.max(0, ...weights), max: limits.maxAssetWeight },
      { limit: 'maxConcurrentPositions', used: held.length, max: limits.maxConcurrentPositions },
      { limit: 'maxDailyNotional', used: src.dailyNotional, max: limits.maxDailyNotional },
      { limit: 'dailyLossLimit', used: src.book.dayStartEquity > 0 ? Math.max(0, 1 - eq / src.book.dayStartEquity) : 0, max: limits.dailyLossLimit },
    ],
  };
}

function symbolReview(symbol: string, src: ReviewSources): SymbolReview {
  const review: SymbolReview = {};
  const stats = src.stats[symbol];
  if (stats && stats.price > 0 && Number.isFinite(stats.atr)) review.atrPct = stats.atr / stats.price;
  if (stats && stats.returns.length >= stats.barsPerDay) {
    let growth = 1;
    for (let i = stats.returns.length - stats.barsPerDay; i < stats.returns.length; i++) growth *= 1 + stats.returns[i];
    review.change24h = growth - 1;
  }
  const vector = src.features.find((f) => f.symbol === symbol);
  if (vector) {
    const indicators: Record<string, number> = {};
    for (const name of KEY_INDICATORS) {
      const i = vector.names.indexOf(name);
      if (i >= 0 && Number.isFinite(vector.values[i])) indicators[name] = vector.values[i];
    }
    if (Object.keys(indicators).length > 0) review.indicators = indicators;
  }
  const reading = src.strategy?.regime[symbol];
  if (reading) {
    review.regime = reading.regime;
    review.breaker = src.strategy!.breaker.bySymbol[symbol] ?? reading.breaker;
  }
  return review;
}

/** The last few orders on each symbol, fills of one order summed. */
function recentTradesOn(symbols: string[], trades: CycleTrade[]): RecentTrade[] {
  const out: RecentTrade[] = [];
  for (const symbol of symbols) {
    const orders: RecentTrade[] = [];
    let lastOrder: string | undefined;
    for (const t of trades) {
      if (t.symbol !== symbol) continue;
      const quantity = t.quantity ?? (t.price > 0 ? t.notional / t.price : 0);
      const last = orders[orders.length - 1];
      if (last && t.clientOrderId !== undefined && t.clientOrderId === lastOrder) {
        const total = last.quantity + quantity;
        last.price = total > 0 ? (last.price * last.quantity + t.price * quantity) / total : t.price;
        last.quantity = total;
        last.realizedPnl += t.realizedPnl;
        if (t.time !== undefined) last.time = t.time;
      } else {
        orders.push({ symbol, side: t.side, quantity, price: t.price, realizedPnl: t.realizedPnl, ...(t.time !== undefined ? { time: t.time } : {}) });
      }
      lastOrder = t.clientOrderId;
    }
    out.push(...orders.slice(-RECENT_TRADES_PER_SYMBOL));
  }
  return out;
}

/** How many of the portfolio's latest fills it keeps for the reviewer (across symbols). */
export const RECENT_TRADES_KEPT = 40;

/** The portfolio's fill memory after a cycle: the newest RECENT_TRADES_KEPT, oldest first. */
export function rememberTrades(previous: readonly CycleTrade[] | undefined, trades: readonly CycleTrade[]): CycleTrade[] {
  const all = [...(previous ?? []), ...trades];
  return all.slice(Math.max(0, all.length - RECENT_TRADES_KEPT));
}

/** The verdict on a proposal when the LLM activity itself failed (after its retries): the fallback policy's. */
export function workflowFallbackVerdict(symbol: string, policy: LlmPolicy, failure: string): LlmVerdict {
  const outcome = FALLBACK_OUTCOME[policy.fallback];
  const reason = `review failed: ${failure}`;
  return {
    symbol, approve: outcome.approve, confidence: 0, reason: `fallback policy '${policy.fallback}' applied: ${reason}`,
    model: panelOf(policy).map((m) => m.model).join('+'), fallback: true, fallbackReason: reason,
    sizeMultiplier: outcome.sizeMultiplier, latencyMs: 0,
  };
}
