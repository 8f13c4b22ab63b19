/**
 * Finds an order on the exchange by our deterministic client order id: the heart of exactly-once. A retry after a
 * lost response looks first and finds the order the earlier attempt placed, instead of placing a second one.
 *
 * Per exchange, the cheapest reliable way its profile declares (./exchanges): a direct query by client order id
 * where there is one (Binance origClientOrderId, OKX clOrdId), else a scan of open and recently closed orders
 * (LOOKBACK_MS back, far longer than any retry of one activity); stops with the trigger flag where the profile says.
 */
import type { Exchange, Order } from 'ccxt';
import type { OrderType } from '../../domain/types';
import { loadCcxt } from '../market/loadCcxt';
import { exchangeClientOrderId, exchangeProfile, triggerParams } from './exchanges';

export { exchangeClientOrderId } from './exchanges';

export const LOOKBACK_MS = 7 * 24 * 3_600_000;

/** Whether a client id an exchange reports is our `clientOrderId`. */
export function isOurClientId(exchange: Exchange, reported: string | null | undefined, clientOrderId: string): boolean {
  return reported !== undefined && reported !== null && reported === exchangeClientOrderId(exchange.id, clientOrderId);
}

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

/** Whether an exchange answer carries an order id at all: ccxt turns an empty or wrong-shape answer into an order without one. */
export function hasOrderId(order: Order | undefined): order is Order {
  const id = (order as { id?: unknown } | undefined)?.id;
  return (typeof id === 'string' && id !== '' && id !== 'undefined') || (typeof id === 'number' && Number.isFinite(id));
}

/**
 * The order, or undefined when the exchange has no order with this client id. Other errors propagate, and so does
 * an answer that is no order (a 200 with `{}`): a bad response to look past, neither found nor "not there".
 */
export async function findExchangeOrder(exchange: Exchange, target: LookupTarget, now: () => number = Date.now): Promise<Order | undefined> {
  const found = await lookUp(exchange, target, now);
  if (found !== undefined && !hasOrderId(found)) {
    throw new (loadCcxt().BadResponse)(`${exchange.id} answered the lookup of order ${target.clientOrderId} with no order id`);
  }
  return found;
}

async function lookUp(exchange: Exchange, target: LookupTarget, now: () => number): Promise<Order | undefined> {
  const extra = triggerParams(exchange.id, target.type);
  if (target.exchangeOrderId) {
    try {
      return await exchange.fetchOrder(target.exchangeOrderId, target.symbol, extra);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const param = exchangeProfile(exchange.id)?.clientOrderId.lookupParam;
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
