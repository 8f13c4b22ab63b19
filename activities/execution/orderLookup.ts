/**
 * Finds an order on the exchange by our deterministic client order id: the heart of exactly-once. A retry after a
 * lost response looks first and finds the order the earlier attempt placed, instead of placing a second one.
 *
 * Per exchange, the cheapest reliable way:
 * - Binance, Binance.US: GET /api/v3/order?origClientOrderId=... (any order of the last 3 months, open or not).
 * - OKX: GET /api/v5/trade/order?clOrdId=... (algo orders, our stops, with the trigger flag).
 * - KuCoin, Kraken, Coinbase: no direct lookup by client id in ccxt, so open orders plus recently closed ones are
 *   scanned for it (LOOKBACK_MS back, far longer than any retry of one activity).
 */
import type { Exchange, Order } from 'ccxt';
import type { OrderType } from '../../domain/types';
import { loadCcxt } from '../market/loadCcxt';

export const LOOKBACK_MS = 7 * 24 * 3_600_000;

/**
 * Our client order id in the form the exchange accepts. OKX takes 1-32 letters and digits only (clOrdId), so its
 * separators are dropped; the mapping is fixed, so lookups find what creates sent.
 */
export function exchangeClientOrderId(exchangeId: string, clientOrderId: string): string {
  return exchangeId === 'okx' ? clientOrderId.replace(/[^A-Za-z0-9]/g, '') : clientOrderId;
}

/** Whether a client id an exchange reports is our `clientOrderId`. */
export function isOurClientId(exchange: Exchange, reported: string | null | undefined, clientOrderId: string): boolean {
  return reported !== undefined && reported !== null && reported === exchangeClientOrderId(exchange.id, clientOrderId);
}

const CLIENT_ID_PARAM: Record<string, string> = {
  binance: 'origClientOrderId',
  binanceus: 'origClientOrderId',
  okx: 'clOrdId',
};

/** Exchanges that keep trigger (stop) orders apart from ordinary ones and need a flag to look at them. */
const TRIGGER_FLAG_EXCHANGES = new Set(['okx', 'kucoin']);

export interface LookupTarget {
  symbol: string;
  clientOrderId: string;
  type: OrderType;
  /** The exchange's id, once known: the most direct lookup of all. */
  exchangeOrderId?: string;
}

function isNotFound(err: unknown): boolean {
  return err instanceof loadCcxt().OrderNotFound;
}

function triggerParams(exchange: Exchange, target: LookupTarget): Record<string, unknown> {
  return target.type === 'stop' && TRIGGER_FLAG_EXCHANGES.has(exchange.id) ? { trigger: true } : {};
}

/** The order, or undefined when the exchange has no order with this client id. Other errors propagate. */
export async function findExchangeOrder(exchange: Exchange, target: LookupTarget, now: () => number = Date.now): Promise<Order | undefined> {
  const extra = triggerParams(exchange, target);
  if (target.exchangeOrderId) {
    try {
      return await exchange.fetchOrder(target.exchangeOrderId, target.symbol, extra);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const param = CLIENT_ID_PARAM[exchange.id];
  if (param) {
    try {
      return await exchange.fetchOrder('', target.symbol, { ...extra, [param]: exchangeClientOrderId(exchange.id, target.clientOrderId) });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
  const since = now() - LOOKBACK_MS;
  const lists: Order[][] = [];
  if (exchange.has.fetchOrders) lists.push(await exchange.fetchOrders(target.symbol, since, undefined, extra));
  else {
    if (exchange.has.fetchOpenOrders) lists.push(await exchange.fetchOpenOrders(target.symbol, undefined, undefined, extra));
    if (exchange.has.fetchClosedOrders) lists.push(await exchange.fetchClosedOrders(target.symbol, since, undefined, extra));
  }
  return lists.flat().find((o) => isOurClientId(exchange, o.clientOrderId, target.clientOrderId));
}
