/**
 * Live orders through ccxt: placed exactly once, then polled and cancelled until final. Every step persists the
 * order before returning, so the database always knows at least as much as the workflow.
 *
 * Exactly once, step by step:
 * 1. an order already final in the database is returned as is (no exchange call);
 * 2. the order is looked up on the exchange by its deterministic client order id (orderLookup.ts); found means an
 *    earlier attempt placed it and its response was lost, so it is returned, never placed again;
 * 3. amounts and prices are rounded to the market's precision and checked against its limits; a violation is
 *    recorded as a rejected order with the reason, without sending anything;
 * 4. the order is saved as `submitted` before it is sent, so a crash between sending and saving leaves a row that
 *    says "look this up before placing";
 * 5. the create call carries the client order id; an exchange that refuses a duplicate id is answered by looking
 *    the order up again;
 * 6. the answer is completed with the order's trades and saved.
 */
import type { Exchange, MarketInterface as Market, Order } from 'ccxt';
import { ApplicationFailure } from '@temporalio/common';
import { isFinal, isResting } from '../../domain/orderLifecycle';
import type { Fill, OrderRequest, OrderResult, OrderStatus } from '../../domain/types';
import { findStoredOrder, saveOrder, type OrderContext } from '../persistence/orderStore';
import { ensureMarkets, type Connection } from './connector';
import { EXECUTION_FAILURES, mapExchangeFailure, toExecutionFailure } from './exchangeErrors';
import { cumulativeFill, toOrderStatus, tradesInOrder, tradeToFill, type MarketAssets } from './liveFills';
import { findExchangeOrder } from './orderLookup';
import { prepareOrder, type PreparedOrder } from './orderRules';

import { LIVE_OPT_IN_ENV, LIVE_OPT_IN_VALUE } from '../../domain/liveOptIn';

export { LIVE_OPT_IN_ENV, LIVE_OPT_IN_VALUE } from '../../domain/liveOptIn';

export function liveTradingEnabled(): boolean {
  return process.env[LIVE_OPT_IN_ENV] === LIVE_OPT_IN_VALUE;
}

export function assertLiveTradingEnabled(): void {
  if (!liveTradingEnabled()) {
    throw ApplicationFailure.nonRetryable(
      `live order refused: set ${LIVE_OPT_IN_ENV}=${LIVE_OPT_IN_VALUE} on the execution worker to trade real money`,
      'LiveTradingDisabled',
    );
  }
}

/** Runs one exchange call; its failure becomes a typed, redacted ApplicationFailure. */
export async function exchangeCall<T>(exchange: Exchange, context: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toExecutionFailure(err, `${exchange.id} ${context}`, exchange);
  }
}

export function spotMarket(exchange: Exchange, symbol: string): Market {
  const market = exchange.markets?.[symbol];
  if (!market || market.spot === false) {
    throw ApplicationFailure.nonRetryable(`${exchange.id} has no spot market ${symbol}`, EXECUTION_FAILURES.unknownSymbol);
  }
  return market;
}

function assetsOf(market: Market): MarketAssets {
  return { base: market.base, quote: market.quote };
}

const FILLED_TOLERANCE = 1e-9;

function sameAmount(a: number, b: number): boolean {
  return Math.abs(a - b) <= FILLED_TOLERANCE * Math.max(Math.abs(a), Math.abs(b), 1e-12);
}

/**
 * The fills of `order`, append-only across calls. Exchanges that list an order's trades give one fill per trade
 * (the same list every time, growing); the others get one fill per increase of the filled amount.
 */
async function orderFills(exchange: Exchange, req: OrderRequest, order: Order, market: Market, previous: OrderResult | undefined): Promise<Fill[]> {
  const filled = order.filled ?? 0;
  const known = previous?.fills ?? [];
  if (filled <= (previous?.filledQuantity ?? 0) * (1 + FILLED_TOLERANCE) && (filled === 0 || known.length > 0)) return known;
  const assets = assetsOf(market);
  const complete = (trades: readonly { amount?: number }[] | undefined) =>
    trades !== undefined && trades.length > 0 && sameAmount(trades.reduce((s, t) => s + Number(t.amount ?? 0), 0), filled);
  const fromTrades = (trades: Parameters<typeof tradesInOrder>[0]) =>
    tradesInOrder(trades).map((t) => {
      const fill = tradeToFill(t, req.side, assets);
      return fill.timestamp ? fill : { ...fill, timestamp: order.lastTradeTimestamp ?? order.timestamp ?? Date.now() };
    });
  if (complete(order.trades)) return fromTrades(order.trades);
  if (exchange.has.fetchOrderTrades) {
    const trades = await exchangeCall(exchange, `trades of order ${req.clientOrderId}`, () => exchange.fetchOrderTrades(String(order.id), req.symbol));
    if (complete(trades)) return fromTrades(trades);
    // The order says it filled more than its trades show: the exchange's trade history lags. Ask again later.
    throw ApplicationFailure.retryable(
      `${exchange.id} order ${req.clientOrderId} filled ${filled} but its trades add up to ${trades.reduce((s, t) => s + Number(t.amount ?? 0), 0)}: waiting for the trade history`,
      'FillsPending',
    );
  }
  const knownNotional = (previous?.avgPrice ?? 0) * (previous?.filledQuantity ?? 0);
  const next = cumulativeFill(order, req.side, previous?.filledQuantity ?? 0, knownNotional, assets, order.lastTradeTimestamp ?? Date.now());
  return next ? [...known, next] : known;
}

/** Completes an exchange order (status, trades) into our result. */
async function settle(exchange: Exchange, req: OrderRequest, raw: Order, market: Market, previous: OrderResult | undefined, deduplicated: boolean): Promise<OrderResult> {
  // Some exchanges answer a create with little more than an id.
  const order = raw.status === undefined || raw.filled === undefined
    ? await exchangeCall(exchange, `order ${req.clientOrderId}`, () => exchange.fetchOrder(String(raw.id), req.symbol))
    : raw;
  const fills = await orderFills(exchange, req, order, market, previous);
  const filled = order.filled ?? 0;
  const result: OrderResult = {
    clientOrderId: req.clientOrderId,
    symbol: req.symbol,
    side: req.side,
    status: toOrderStatus(order, req.quantity),
    requestedQuantity: req.quantity,
    filledQuantity: filled,
    avgPrice: order.average ?? (filled > 0 && order.cost ? order.cost / filled : 0),
    fee: fills.reduce((s, f) => s + f.fee, 0),
    fills,
    deduplicated,
    exchangeOrderId: String(order.id),
    // The first time seen is the placement; later answers (a cancel) carry their own time.
    placedAt: previous?.placedAt ?? order.timestamp ?? Date.now(),
  };
  return result;
}

function unplaced(req: OrderRequest, status: OrderStatus, rejectReason?: string): OrderResult {
  return {
    clientOrderId: req.clientOrderId, symbol: req.symbol, side: req.side, status, requestedQuantity: req.quantity,
    filledQuantity: 0, avgPrice: 0, fee: 0, fills: [], deduplicated: false, ...(rejectReason !== undefined && { rejectReason }),
  };
}

/** ccxt createOrder arguments for our order types. */
function createArguments(exchange: Exchange, req: OrderRequest, prepared: PreparedOrder): { type: string; price?: number; params: Record<string, unknown> } {
  const params: Record<string, unknown> = { clientOrderId: req.clientOrderId };
  if (req.type === 'limit') return { type: 'limit', price: prepared.price, params };
  // A stop is a stop-market order, or a stop-limit one when it carries a limit price (see protectiveStops.ts).
  if (req.type === 'stop') return { type: prepared.price !== undefined ? 'limit' : 'market', price: prepared.price, params: { ...params, stopLossPrice: prepared.stopPrice } };
  // Exchanges that size market buys in quote currency (Coinbase) need the price to turn the amount into a cost.
  const needsPrice = req.side === 'buy' && (exchange.options as Record<string, unknown>).createMarketBuyOrderRequiresPrice === true;
  return { type: 'market', ...(needsPrice && { price: req.referencePrice }), params };
}

export interface LiveOrderTarget {
  connection: Connection;
  context: OrderContext;
}

/** Places `req` at most once (see the header) and returns its state, saved. */
export async function placeLiveOrder(req: OrderRequest, { connection, context }: LiveOrderTarget): Promise<OrderResult> {
  const { exchange } = connection;
  const stored = await findStoredOrder(req.clientOrderId);
  if (stored && isFinal(stored.result.status)) return { ...stored.result, deduplicated: true };

  // Until the order is sent, a final failure (unknown symbol, bad keys) means it was never placed: record that.
  const beforeSending = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (err) {
      if (!stored && err instanceof ApplicationFailure && err.nonRetryable) await saveOrder(req, unplaced(req, 'rejected', `${err.type}: ${err.message}`), context);
      throw err;
    }
  };
  await beforeSending(() => exchangeCall(exchange, 'load markets', () => ensureMarkets(exchange)));
  const market = await beforeSending(async () => spotMarket(exchange, req.symbol));
  const lookup = { symbol: req.symbol, clientOrderId: req.clientOrderId, type: req.type, exchangeOrderId: stored?.result.exchangeOrderId };
  const existing = await beforeSending(() => exchangeCall(exchange, `look up order ${req.clientOrderId}`, () => findExchangeOrder(exchange, lookup)));
  if (existing) {
    const result = await settle(exchange, req, existing, market, stored?.result, true);
    await saveOrder(req, result, context);
    return result;
  }
  if (stored && stored.result.status !== 'submitted') {
    throw ApplicationFailure.retryable(
      `${exchange.id} does not (yet) show order ${req.clientOrderId}, which it reported as ${stored.result.status}: not placing it again`,
      'OrderLookupInconsistent',
    );
  }

  const preparation = prepareOrder(exchange, market, req);
  if (!preparation.ok) {
    const rejected: OrderResult = { ...unplaced(req, 'rejected', preparation.reason), ...(preparation.belowMinimum && { belowMinimum: preparation.belowMinimum }) };
    await saveOrder(req, rejected, context);
    return rejected;
  }
  const args = createArguments(exchange, req, preparation.order);
  await saveOrder(req, unplaced(req, 'submitted'), context);
  let created: Order;
  try {
    created = await exchange.createOrder(req.symbol, args.type as 'market' | 'limit', req.side, preparation.order.amount, args.price, args.params);
  } catch (err) {
    const mapped = mapExchangeFailure(err, `${exchange.id} create ${req.type} order ${req.clientOrderId}`, exchange);
    if (mapped.refusedByExchange) {
      // A refusal may be the exchange spotting a duplicate client id: then the order exists and is ours.
      const again = await exchangeCall(exchange, `look up order ${req.clientOrderId}`, () => findExchangeOrder(exchange, lookup));
      if (again) {
        const result = await settle(exchange, req, again, market, undefined, true);
        await saveOrder(req, result, context);
        return result;
      }
      await saveOrder(req, unplaced(req, 'rejected', `${mapped.failure.type}: ${mapped.failure.message}`), context);
    }
    throw mapped.failure;
  }
  const result = await settle(exchange, req, created, market, undefined, false);
  await saveOrder(req, result, context);
  return result;
}

/** Current state of a placed order, saved; an expired limit order is cancelled here. */
export async function pollLiveOrder(req: OrderRequest, stored: OrderResult, target: LiveOrderTarget, now: () => number = Date.now): Promise<OrderResult> {
  if (isFinal(stored.status)) return stored;
  const { exchange } = target.connection;
  await exchangeCall(exchange, 'load markets', () => ensureMarkets(exchange));
  const market = spotMarket(exchange, req.symbol);
  const found = await exchangeCall(exchange, `look up order ${req.clientOrderId}`, () =>
    findExchangeOrder(exchange, { symbol: req.symbol, clientOrderId: req.clientOrderId, type: req.type, exchangeOrderId: stored.exchangeOrderId }),
  );
  if (!found) {
    throw ApplicationFailure.retryable(`${exchange.id} does not (yet) show order ${req.clientOrderId} (${stored.status})`, 'OrderLookupInconsistent');
  }
  const result = await settle(exchange, req, found, market, stored, false);
  await saveOrder(req, result, target.context);
  if (isResting(result.status) && req.timeInForceMs !== undefined && result.placedAt !== undefined && now() >= result.placedAt + req.timeInForceMs) {
    return cancelLiveOrder(req, result, target, 'expired');
  }
  return result;
}

/**
 * Cancels a resting order and returns its final state, saved. Idempotent: a final order is returned unchanged, and
 * an exchange that refuses the cancel because the order just filled or was already cancelled is not an error:
 * the order is read back and its real final state returned. An order the exchange never received is recorded as
 * cancelled. `outcome` names why: `expired` for a time-in-force that ran out.
 */
export async function cancelLiveOrder(req: OrderRequest, stored: OrderResult | undefined, target: LiveOrderTarget, outcome: 'cancelled' | 'expired' = 'cancelled'): Promise<OrderResult> {
  if (stored && isFinal(stored.status)) return stored;
  const { exchange } = target.connection;
  await exchangeCall(exchange, 'load markets', () => ensureMarkets(exchange));
  const market = spotMarket(exchange, req.symbol);
  const lookup = { symbol: req.symbol, clientOrderId: req.clientOrderId, type: req.type, exchangeOrderId: stored?.exchangeOrderId };
  let order = await exchangeCall(exchange, `look up order ${req.clientOrderId}`, () => findExchangeOrder(exchange, lookup));
  if (!order) {
    if (stored && stored.status !== 'submitted') {
      throw ApplicationFailure.retryable(`${exchange.id} does not (yet) show order ${req.clientOrderId} (${stored.status}) to cancel`, 'OrderLookupInconsistent');
    }
    const never = unplaced(req, outcome, 'cancelled before it reached the exchange');
    await saveOrder(req, never, target.context);
    return never;
  }
  if (order.status === 'open' || order.status === undefined) {
    try {
      const answer = await exchange.cancelOrder(String(order.id), req.symbol, req.type === 'stop' && ['okx', 'kucoin'].includes(exchange.id) ? { trigger: true } : {});
      if (answer?.status !== undefined && answer.filled !== undefined) order = answer;
      else order = (await exchangeCall(exchange, `order ${req.clientOrderId}`, () => findExchangeOrder(exchange, { ...lookup, exchangeOrderId: String(order!.id) }))) ?? order;
    } catch (err) {
      const mapped = mapExchangeFailure(err, `${exchange.id} cancel order ${req.clientOrderId}`, exchange);
      if (!mapped.refusedByExchange) throw mapped.failure;
      // Refused: usually because it is no longer open (filled or cancelled meanwhile). Read back what it is.
      const current = await exchangeCall(exchange, `order ${req.clientOrderId}`, () => findExchangeOrder(exchange, { ...lookup, exchangeOrderId: String(order!.id) }));
      if (!current || current.status === 'open') throw mapped.failure;
      order = current;
    }
  }
  const settled = await settle(exchange, req, order, market, stored, false);
  if (isResting(settled.status)) {
    await saveOrder(req, settled, target.context);
    throw ApplicationFailure.retryable(`${exchange.id} has not confirmed the cancel of order ${req.clientOrderId} yet`, 'CancelPending');
  }
  const result: OrderResult = settled.status === 'cancelled' && outcome === 'expired' ? { ...settled, status: 'expired' } : settled;
  await saveOrder(req, result, target.context);
  return result;
}
