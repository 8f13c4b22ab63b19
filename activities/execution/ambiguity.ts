/**
 * Ambiguous order outcomes. A create whose answer never came (dropped socket, timeout), came garbled (truncated or
 * unexpected JSON), or came as "execution status unknown" (Binance -1006/-1007) may have been applied: the order
 * stays `submitted` and no create is sent for it until this module has decided, in this order:
 *
 * 1. lookups by client order id, with backoff, over the exchange's lag window (how long an order it accepted may
 *    stay invisible to its order query: each exchange's profile, ./exchanges);
 * 2. then the account as evidence: an open order carrying the id; trades since the create that no order this
 *    system knows explains (their order is fetched and its client id compared); the base balance against the
 *    book's position before the order;
 * 3. found: the order's real state. No sign of it anywhere, every check answered: not applied, and only then may a
 *    create go out. Anything unexplained (a check that failed, a trade or a balance move no order explains):
 *    `unknown`: never placed again, its symbol held, looked for again every cycle, the operator told.
 *
 * Why not simply re-create and let the exchange refuse the duplicate id: Binance, OKX and Kraken refuse a reused
 * client id only while the first order is open; a filled market order (every exit) would be placed twice.
 */
import type { Exchange, MarketInterface as Market, Order, Trade } from 'ccxt';
import type { Side } from '../../domain/types';
import { knownExchangeOrderIds } from '../persistence/orderStore';
import { heartbeat, pause } from './activityContext';
import { describeError } from './exchangeErrors';
import { findExchangeOrder, isOurClientId, type LookupTarget } from './orderLookup';

export { orderSemantics, type ExchangeOrderSemantics } from './exchanges';

/** Exchange clocks and ours differ; trades this much before the create still count as evidence. */
const CLOCK_SKEW_MS = 60_000;
const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 4_000;

export interface AmbiguousOrder {
  exchange: Exchange;
  market: Market;
  target: LookupTarget;
  side: Side;
  quantity: number;
  /** When the create was (or may have been) sent, ms UTC. */
  sentAt: number;
  /** The book's position in the symbol before the order, when the caller knows it. */
  positionBefore?: number;
  /** Look for the whole lag window (a fresh ambiguity) or once (a follow-up, long after). */
  waitMs: number;
}

export interface Evidence {
  lookups: number;
  lookupErrors: string[];
  openOrders?: 'none' | 'error';
  /** Trades since the create that no known order explains, by order id. */
  unexplainedTrades?: { orderId: string; side: string; amount: number; clientOrderId?: string }[];
  trades?: 'checked' | 'unavailable' | 'error';
  balance?: 'consistent' | 'moved' | 'unrelated' | 'unavailable' | 'error';
  errors: string[];
}

export type Resolution =
  | { kind: 'found'; order: Order; via: 'lookup' | 'open orders' | 'trades'; evidence: Evidence }
  | { kind: 'not-applied'; evidence: Evidence }
  | { kind: 'unknown'; reason: string; evidence: Evidence };

function errorText(err: unknown): string {
  const { name, message } = describeError(err);
  return `${name}: ${message}`.slice(0, 300);
}

/** Looks the order up until found or the window closes; lookup errors count as "not seen" and are kept. */
async function lookupWithBackoff(o: AmbiguousOrder, evidence: Evidence): Promise<Order | undefined> {
  const deadline = Date.now() + o.waitMs;
  let delay = FIRST_PAUSE_MS;
  for (;;) {
    evidence.lookups += 1;
    try {
      const found = await findExchangeOrder(o.exchange, o.target);
      if (found) return found;
    } catch (err) {
      evidence.lookupErrors.push(errorText(err));
    }
    if (Date.now() + delay > deadline) return undefined;
    heartbeat({ resolving: o.target.clientOrderId, lookups: evidence.lookups });
    await pause(delay);
    delay = Math.min(delay * 2, MAX_PAUSE_MS);
  }
}

async function inOpenOrders(o: AmbiguousOrder, evidence: Evidence): Promise<Order | undefined> {
  if (!o.exchange.has.fetchOpenOrders) return undefined;
  try {
    const open = await o.exchange.fetchOpenOrders(o.target.symbol);
    const mine = open.find((x) => isOurClientId(o.exchange, x.clientOrderId, o.target.clientOrderId));
    evidence.openOrders = 'none';
    return mine;
  } catch (err) {
    evidence.openOrders = 'error';
    evidence.errors.push(`open orders: ${errorText(err)}`);
    return undefined;
  }
}

/** Trades since the create that no order this system knows explains; one carrying our id resolves the order. */
async function inTrades(o: AmbiguousOrder, evidence: Evidence): Promise<Order | undefined> {
  if (!o.exchange.has.fetchMyTrades) {
    evidence.trades = 'unavailable';
    return undefined;
  }
  let trades: Trade[];
  try {
    trades = await o.exchange.fetchMyTrades(o.target.symbol, o.sentAt - CLOCK_SKEW_MS);
  } catch (err) {
    evidence.trades = 'error';
    evidence.errors.push(`trades: ${errorText(err)}`);
    return undefined;
  }
  evidence.trades = 'checked';
  const known = await knownExchangeOrderIds(o.exchange.id, o.target.symbol);
  // Its own id, if an earlier attempt learned it, is exactly what is being looked for.
  if (o.target.exchangeOrderId) known.delete(o.target.exchangeOrderId);
  const byOrder = new Map<string, { side: string; amount: number }>();
  for (const t of trades) {
    const id = t.order === undefined || t.order === null ? undefined : String(t.order);
    if ((t.timestamp ?? Infinity) < o.sentAt - CLOCK_SKEW_MS || (id !== undefined && known.has(id))) continue;
    const key = id ?? '?';
    const entry = byOrder.get(key) ?? { side: String(t.side), amount: 0 };
    entry.amount += Number(t.amount ?? 0);
    byOrder.set(key, entry);
  }
  evidence.unexplainedTrades = [];
  for (const [orderId, t] of byOrder) {
    let clientOrderId: string | undefined;
    if (orderId !== '?') {
      try {
        const order = await o.exchange.fetchOrder(orderId, o.target.symbol);
        if (isOurClientId(o.exchange, order.clientOrderId, o.target.clientOrderId)) return order;
        clientOrderId = order.clientOrderId ?? undefined;
      } catch (err) {
        evidence.errors.push(`order ${orderId} of an unexplained trade: ${errorText(err)}`);
      }
    }
    evidence.unexplainedTrades.push({ orderId, ...t, ...(clientOrderId !== undefined && { clientOrderId }) });
  }
  return undefined;
}

/** Whether the base balance moved by about the order's quantity in its direction since the book's last figure. */
async function balanceSign(o: AmbiguousOrder, evidence: Evidence): Promise<void> {
  if (o.positionBefore === undefined || !(o.quantity > 0)) {
    evidence.balance = 'unavailable';
    return;
  }
  try {
    const balance = await o.exchange.fetchBalance();
    const total = Number((balance.total as unknown as Record<string, number | undefined>)?.[o.market.base] ?? 0);
    const moved = (total - o.positionBefore) * (o.side === 'buy' ? 1 : -1);
    // Fees can be taken in the base asset (Binance without BNB): a fill shows as 99.9% of the quantity.
    if (Math.abs(total - o.positionBefore) <= o.quantity * 0.01) evidence.balance = 'consistent';
    else if (moved >= o.quantity * 0.5 && moved <= o.quantity * 1.05) evidence.balance = 'moved';
    else evidence.balance = 'unrelated';
  } catch (err) {
    evidence.balance = 'error';
    evidence.errors.push(`balance: ${errorText(err)}`);
  }
}

/** Decides an ambiguous create (see the header). Never creates anything itself. */
export async function resolveAmbiguousOrder(o: AmbiguousOrder): Promise<Resolution> {
  const evidence: Evidence = { lookups: 0, lookupErrors: [], errors: [] };
  const looked = await lookupWithBackoff(o, evidence);
  if (looked) return { kind: 'found', order: looked, via: 'lookup', evidence };
  const open = await inOpenOrders(o, evidence);
  if (open) return { kind: 'found', order: open, via: 'open orders', evidence };
  const traded = await inTrades(o, evidence);
  if (traded) return { kind: 'found', order: traded, via: 'trades', evidence };
  await balanceSign(o, evidence);

  const sameSide = (evidence.unexplainedTrades ?? []).filter((t) => t.side === o.side && t.clientOrderId === undefined);
  const reasons: string[] = [];
  if (evidence.lookups === evidence.lookupErrors.length) reasons.push(`no lookup answered (${evidence.lookupErrors[0] ?? 'none tried'})`);
  if (evidence.errors.length > 0) reasons.push(`the account could not be read: ${evidence.errors.join('; ')}`);
  if (sameSide.length > 0) reasons.push(`${sameSide.length} ${o.side} trade(s) since the create that no known order explains`);
  if (evidence.balance === 'moved') reasons.push(`the ${o.market.base} balance moved by about the order's quantity`);
  if (o.target.exchangeOrderId) reasons.push(`${o.exchange.id} acknowledged it as order ${o.target.exchangeOrderId}, which its queries do not show now`);
  // Without a trade history, only a balance that did not move says the order was not applied.
  if (evidence.trades !== 'checked' && evidence.balance !== 'consistent') reasons.push('neither the trade history nor the balance could rule a fill out');
  if (reasons.length === 0) return { kind: 'not-applied', evidence };
  return { kind: 'unknown', reason: reasons.join('; '), evidence };
}
