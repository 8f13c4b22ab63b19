/**
 * The exchanges this system trades on, one profile file each (./profile.ts says what a profile declares). The
 * order here is the order every "use one of ..." message lists them in.
 */
import { binance } from './binance';
import { binanceus } from './binanceus';
import { coinbase } from './coinbase';
import { kraken } from './kraken';
import { kucoin } from './kucoin';
import { okx } from './okx';
import type { ExchangeOrderSemantics, ExchangeProfile } from './profile';

export type { ExchangeOrderSemantics, ExchangeProfile, Fees } from './profile';

export const EXCHANGE_PROFILES: Readonly<Record<string, ExchangeProfile>> = Object.fromEntries(
  [coinbase, binance, binanceus, kucoin, okx, kraken].map((p) => [p.id, p]),
);

/** The profile of a supported exchange, or undefined (not supported for trading). */
export function exchangeProfile(exchangeId: string): ExchangeProfile | undefined {
  return Object.hasOwn(EXCHANGE_PROFILES, exchangeId) ? EXCHANGE_PROFILES[exchangeId] : undefined;
}

export const SUPPORTED_EXCHANGE_IDS: readonly string[] = Object.keys(EXCHANGE_PROFILES);

/** An exchange without a profile (market data only) is looked up by scanning, with a generous window. */
const DEFAULT_ORDER_SEMANTICS: ExchangeOrderSemantics = { lagWindowMs: 15_000, duplicateClientId: 'never', lookup: 'open and closed orders are scanned' };

export function orderSemantics(exchangeId: string): ExchangeOrderSemantics {
  return exchangeProfile(exchangeId)?.orders ?? DEFAULT_ORDER_SEMANTICS;
}

/** Our client order id in the form the exchange accepts. */
export function exchangeClientOrderId(exchangeId: string, clientOrderId: string): string {
  return exchangeProfile(exchangeId)?.clientOrderId.format?.(clientOrderId) ?? clientOrderId;
}

/** The params that make a trigger (stop) order visible to a query or a cancel on this exchange. */
export function triggerParams(exchangeId: string, type: string): Record<string, unknown> {
  return type === 'stop' && exchangeProfile(exchangeId)?.stops.triggerFlag ? { trigger: true } : {};
}
