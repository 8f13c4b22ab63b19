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
 * 5. the reference price is checked against the exchange's last price (priceBand.ts): live never prices on history;
 * 6. a create whose outcome is ambiguous (no answer, a garbled one, "status unknown", a duplicate-id refusal) is
 *    resolved before anything else (ambiguity.ts): found, not applied (only then may a retry create), or `unknown`
 *    (never created again, reported); a retry of a `submitted` or `unknown` order goes the same way;
 * 7. the answer is completed with the order's trades and saved.
 */
import type { Exchange, MarketInterface as Market, Order } from 'ccxt';
import { ApplicationFailure } from '@temporalio/common';
import { isFinal, isResting } from '../../domain/orderLifecycle';
import type { Fill, OrderRequest, OrderResult, OrderStatus } from '../../domain/types';
import { recordIncident, resolveOrderIncidents } from '../persistence/incidentStore';
import { findStoredOrder, saveOrder, type OrderContext } from '../persistence/orderStore';
import { logWarn } from './activityContext';
import { resolveAmbiguousOrder } from './ambiguity';
import type { Connection } from './connector';
import { describeError, EXECUTION_FAILURES, mapExchangeFailure, toExecutionFailure } from './exchangeErrors';
import { loadCcxt } from '../market/loadCcxt';
import { DEFAULT_PRICE_BAND } from './exchangeSettings';
import { cumulativeFill, toOrderStatus, tradesInOrder, tradeToFill, type MarketAssets } from './liveFills';
import { exchangeClientOrderId, findExchangeOrder, hasOrderId, isOurClientId } from './orderLookup';
import { exchangeProfile, orderSemantics, triggerParams } from './exchanges';
import { marketsOutdated, tradableMarket } from './marketMetadata';
import { prepareOrder, type PreparedOrder } from './orderRules';
import { checkPriceBand } from './priceBand';

import { LIVE_OPT_IN_ENV, LIVE_OPT_IN_VALUE } from '../../domain/liveOptIn';
import { failure } from '../../domain/failures';

export { LIVE_OPT_IN_ENV, LIVE_OPT_IN_VALUE } from '../../domain/liveOptIn';

export function liveTradingEnabled(): boolean {
  return process.env[LIVE_OPT_IN_ENV] === LIVE_OPT_IN_VALUE;
}

export function assertLiveTradingEnabled(): void {
  if (!liveTradingEnabled()) {
    throw failure('LiveTradingDisabled', `live order refused: set ${LIVE_OPT_IN_ENV}=${LIVE_OPT_IN_VALUE} on the execution worker to trade real money`);
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
    throw failure('FillsPending', `${exchange.id} order ${req.clientOrderId} filled ${filled} but its trades add up to ${trades.reduce((s, t) => s + Number(t.amount ?? 0), 0)}: waiting for the trade history`);
  }
  const knownNotional = (previous?.avgPrice ?? 0) * (previous?.filledQuantity ?? 0);
  const next = cumulativeFill(order, req.side, previous?.filledQuantity ?? 0, knownNotional, assets, order.lastTradeTimestamp ?? Date.now());
  return next ? [...known, next] : known;
}

/** Completes an exchange order (status, trades) into our result. */
async function settle(exchange: Exchange, req: OrderRequest, raw: Order, market: Market, previous: OrderResult | undefined, deduplicated: boolean): Promise<OrderResult> {
  // Some exchanges answer a create with little more than an id (OKX always does), and their order query may not
  // show the order yet: that is a lag to wait out, never a refusal (the order exists: it has an id).
  const refetch = async () => {
    try {
      return await exchange.fetchOrder(String(raw.id), req.symbol);
    } catch (err) {
      if (err instanceof loadCcxt().OrderNotFound) {
        throw failure('OrderLookupInconsistent', `${exchange.id} does not show order ${req.clientOrderId} (id ${String(raw.id)}) yet: looking again`);
      }
      throw toExecutionFailure(err, `${exchange.id} order ${req.clientOrderId}`, exchange);
    }
  };
  const order = raw.status === undefined || raw.filled === undefined ? await refetch() : raw;
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
  const params: Record<string, unknown> = { clientOrderId: exchangeClientOrderId(exchange.id, req.clientOrderId) };
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
export async function placeLiveOrder(req: OrderRequest, target: LiveOrderTarget, opts: PlaceOptions = {}): Promise<OrderResult> {
  const { connection, context } = target;
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
  const market = await beforeSending(() => tradableMarket(exchange, req.symbol));
  const lookup = { symbol: req.symbol, clientOrderId: req.clientOrderId, type: req.type, exchangeOrderId: stored?.result.exchangeOrderId };
  const existing = await beforeSending(() => exchangeCall(exchange, `look up order ${req.clientOrderId}`, () => findExchangeOrder(exchange, lookup)));
  if (existing) return adopt(req, existing, market, target, stored?.result, true);
  const ambiguity = { req, market, target, positionBefore: opts.positionBefore, exchangeOrderId: stored?.result.exchangeOrderId };
  if (stored?.result.status === 'unknown') {
    // An earlier attempt could not tell whether the exchange applied it: look again, never create.
    return followUnknownOrder(req, stored.result, target, market);
  }
  if (stored?.result.status === 'submitted') {
    // An earlier attempt saved it as about to be sent and never learned the outcome: the create may have been applied.
    const settled = await resolveOrMarkUnknown(ambiguity, stored.savedAt, 'an earlier attempt sent it and got no usable answer');
    if (settled) return settled;
  } else if (stored) {
    throw failure('OrderLookupInconsistent', `${exchange.id} does not (yet) show order ${req.clientOrderId}, which it reported as ${stored.result.status}: not placing it again`);
  }

  const preparation = prepareOrder(exchange, market, req);
  if (!preparation.ok) return refuseUnsent(req, preparation.reason, context, preparation.belowMinimum);
  const band = await checkPriceBand(exchange, req, connection.settings.priceBand ?? DEFAULT_PRICE_BAND);
  if (band.refusal) {
    await recordIncident({
      key: `price-out-of-band|${req.clientOrderId}`, kind: 'price-out-of-band', severity: 'warning', portfolioId: req.portfolioId, venue: exchange.id,
      symbol: req.symbol, clientOrderId: req.clientOrderId, detail: band.refusal, evidence: band, detectedAt: Date.now(),
    });
    return refuseUnsent(req, `PriceOutOfBand: ${band.refusal}`, context);
  }
  const args = createArguments(exchange, req, preparation.order);
  await saveOrder(req, unplaced(req, 'submitted'), context);
  const sentAt = Date.now();
  let created: Order;
  try {
    created = await exchange.createOrder(req.symbol, args.type as 'market' | 'limit', req.side, preparation.order.amount, args.price, args.params);
  } catch (err) {
    const mapped = mapExchangeFailure(err, `${exchange.id} create ${req.type} order ${req.clientOrderId}`, exchange);
    if (mapped.refusedByExchange && !mapped.unclassified && !refusedAsDuplicate(err)) {
      const minimumRefusal = refusedAsUnderMinimum(exchange, err);
      if (minimumRefusal) {
        // Minimums our cached market list did not show: read it afresh, for this sale and every later order.
        marketsOutdated(exchange);
        const dust = req.side === 'sell' ? await minimumsNowUnmet(exchange, req) : undefined;
        // The exchange's word and its own current list agree: this sale is dust (marked once, not refused every cycle).
        if (dust) return refuseUnsent(req, `${exchange.id} refused the sale as under its minimum (${minimumRefusal}); ${dust.reason}`, context, dust.belowMinimum);
      }
      await saveOrder(req, unplaced(req, 'rejected', `${mapped.failure.type}: ${mapped.failure.message}`), context);
      throw mapped.failure;
    }
    // A rate limit refuses the request before it is handled (Binance 429/418): nothing to resolve yet. The row stays
    // `submitted`, so the retry still looks before it creates.
    if (mapped.failure.type === EXECUTION_FAILURES.rateLimited) throw mapped.failure;
    // Lost, garbled, "status unknown", an error ccxt could not classify, or a duplicate-id refusal (then the order
    // exists): resolve before anything else.
    const settled = await resolveOrMarkUnknown(ambiguity, sentAt, mapped.failure.message);
    if (settled) return settled;
    // Not applied: the row stays `submitted`, and the retry looks once more before it creates.
    throw mapped.failure;
  }
  if (!answersFor(exchange, created, req)) {
    const settled = await resolveOrMarkUnknown(ambiguity, sentAt, `${exchange.id} answered the create with an order of unexpected shape (id ${JSON.stringify((created as { id?: unknown } | undefined)?.id)})`);
    if (settled) return settled;
    throw failure(EXECUTION_FAILURES.badResponse, `${exchange.id} answered the create of ${req.clientOrderId} with an unexpected shape and shows no such order: looking again`);
  }
  return adopt(req, created, market, target, undefined, false);
}

export interface PlaceOptions {
  /** The book's position in the symbol before the order: the balance an ambiguous create is judged against. */
  positionBefore?: number;
}

/** A create answer that is an order at all: an id, and our client id when it carries one. */
function answersFor(exchange: Exchange, created: Order | undefined, req: OrderRequest): created is Order {
  if (!created || typeof created !== 'object') return false;
  return hasOrderId(created) && (created.clientOrderId === undefined || created.clientOrderId === null || isOurClientId(exchange, created.clientOrderId, req.clientOrderId));
}

/** The exchange's words when it refuses a create as under its minimum amount or notional (its profile's pattern). */
function refusedAsUnderMinimum(exchange: Exchange, err: unknown): string | undefined {
  const pattern = exchangeProfile(exchange.id)?.orders.belowMinimum;
  const { message } = describeError(err);
  return pattern?.test(message) ? message.slice(0, 300) : undefined;
}

/**
 * The minimums the sale misses by the exchange's freshly read market list; undefined when that list says it is
 * sellable (the refusal meant something else, e.g. a maximum) or cannot be read now (then it stays a refusal).
 */
async function minimumsNowUnmet(exchange: Exchange, req: OrderRequest): Promise<{ reason: string; belowMinimum: NonNullable<OrderResult['belowMinimum']> } | undefined> {
  try {
    const preparation = prepareOrder(exchange, await tradableMarket(exchange, req.symbol), req);
    return !preparation.ok && preparation.belowMinimum ? { reason: preparation.reason, belowMinimum: preparation.belowMinimum } : undefined;
  } catch {
    return undefined;
  }
}

/** Binance -2010 "Duplicate order sent.", OKX 51016 "Duplicated clOrdId", Kraken "duplicate": the order exists. */
function refusedAsDuplicate(err: unknown): boolean {
  return /duplicate/i.test(describeError(err).message);
}

async function refuseUnsent(req: OrderRequest, reason: string, context: OrderContext, belowMinimum?: OrderResult['belowMinimum']): Promise<OrderResult> {
  // The minimums a refused sale missed are what marks a position as dust (domain/dust.ts).
  const rejected: OrderResult = { ...unplaced(req, 'rejected', reason), ...(belowMinimum && { belowMinimum }) };
  await saveOrder(req, rejected, context);
  return rejected;
}

/** Settles an order found on the exchange, saves it, and closes any incident about its outcome. */
async function adopt(req: OrderRequest, order: Order, market: Market, target: LiveOrderTarget, previous: OrderResult | undefined, deduplicated: boolean): Promise<OrderResult> {
  let result: OrderResult;
  try {
    result = await settle(target.connection.exchange, req, order, market, previous, deduplicated);
  } catch (err) {
    // The order exists: remember its exchange id, so the retry asks for it directly rather than by client id.
    if (!previous && order.id !== undefined && order.id !== null) await saveOrder(req, { ...unplaced(req, 'submitted'), exchangeOrderId: String(order.id) }, target.context);
    throw err;
  }
  await saveOrder(req, result, target.context);
  if (previous?.status === 'unknown') await noteResolved(req, target, `found on ${target.connection.exchange.id} as ${result.status}`);
  return result;
}

interface Ambiguity {
  req: OrderRequest;
  market: Market;
  target: LiveOrderTarget;
  positionBefore?: number;
  /** The exchange's id of the order, when an earlier attempt learned it (then the order certainly exists). */
  exchangeOrderId?: string;
}

/**
 * Resolves an ambiguous create (ambiguity.ts): the order found on the exchange, saved; or `unknown`, saved and
 * reported; or undefined when the evidence says it was not applied (the caller may create).
 */
async function resolveOrMarkUnknown(a: Ambiguity, sentAt: number, why: string): Promise<OrderResult | undefined> {
  const { exchange, settings } = a.target.connection;
  const window = settings.lookupWindowMs ?? orderSemantics(exchange.id).lagWindowMs;
  const resolution = await resolveAmbiguousOrder({
    exchange, market: a.market, side: a.req.side, quantity: a.req.quantity, sentAt, positionBefore: a.positionBefore,
    target: { symbol: a.req.symbol, clientOrderId: a.req.clientOrderId, type: a.req.type, ...(a.exchangeOrderId && { exchangeOrderId: a.exchangeOrderId }) },
    waitMs: Math.max(0, sentAt + window - Date.now()),
  });
  if (resolution.kind === 'found') {
    logWarn(`order ${a.req.clientOrderId}: outcome was ambiguous (${why}); found through ${resolution.via}`, { clientOrderId: a.req.clientOrderId });
    return adopt(a.req, resolution.order, a.market, a.target, undefined, true);
  }
  if (resolution.kind === 'not-applied') return undefined;
  const unknown: OrderResult = {
    ...unplaced(a.req, 'unknown', `outcome unknown: ${why}; ${resolution.reason}`), placedAt: sentAt, ...(a.exchangeOrderId && { exchangeOrderId: a.exchangeOrderId }),
  };
  await saveOrder(a.req, unknown, a.target.context);
  const detail = `order ${a.req.clientOrderId} (${a.req.side} ${a.req.quantity} ${a.req.symbol} ${a.req.type}) may have been applied by ${exchange.id} ` +
    `but could not be found: ${why}; ${resolution.reason}. It will not be placed again; ${a.req.symbol} gets no new entry until it is found ` +
    `(checked again every cycle). Check the account on ${exchange.id}.`;
  logWarn(detail, { clientOrderId: a.req.clientOrderId });
  await recordIncident({
    key: `order-outcome-unknown|${a.req.clientOrderId}`, kind: 'order-outcome-unknown', severity: 'critical', portfolioId: a.req.portfolioId,
    venue: exchange.id, symbol: a.req.symbol, clientOrderId: a.req.clientOrderId, detail, evidence: resolution.evidence, detectedAt: Date.now(),
  });
  return unknown;
}

async function noteResolved(req: OrderRequest, target: LiveOrderTarget, how: string): Promise<void> {
  const now = Date.now();
  await resolveOrderIncidents(req.clientOrderId, now);
  await recordIncident({
    key: `order-outcome-resolved|${req.clientOrderId}`, kind: 'order-outcome-resolved', severity: 'info', portfolioId: req.portfolioId,
    venue: target.connection.exchange.id, symbol: req.symbol, clientOrderId: req.clientOrderId, detail: `order ${req.clientOrderId}, whose outcome was unknown, ${how}`,
    detectedAt: now, resolvedAt: now,
  });
}

/**
 * An order whose outcome is unknown, looked for again (long after its create): found is adopted; no sign of it
 * in lookups, open orders and the trade history means it never reached the exchange (rejected, with why); anything
 * still unexplained leaves it unknown.
 */
async function followUnknownOrder(req: OrderRequest, stored: OrderResult, target: LiveOrderTarget, market: Market): Promise<OrderResult> {
  const { exchange } = target.connection;
  const resolution = await resolveAmbiguousOrder({
    exchange, market, side: req.side, quantity: req.quantity, sentAt: stored.placedAt ?? Date.now(), waitMs: 0,
    target: { symbol: req.symbol, clientOrderId: req.clientOrderId, type: req.type, ...(stored.exchangeOrderId && { exchangeOrderId: stored.exchangeOrderId }) },
  });
  if (resolution.kind === 'found') return adopt(req, resolution.order, market, target, stored, true);
  // Only the trade history can rule out a fill this late (the balance has moved on since): without it, stay unknown.
  if (resolution.kind === 'unknown' || resolution.evidence.trades !== 'checked') return { ...stored, deduplicated: true };
  const never = unplaced(req, 'rejected', `never reached ${exchange.id}: no order with this id, no open order and no unexplained trade since ${new Date(stored.placedAt ?? 0).toISOString()}`);
  await saveOrder(req, never, target.context);
  await noteResolved(req, target, 'was never applied (no order, open order or trade of it on the exchange)');
  return never;
}

/** Current state of a placed order, saved; an expired limit order is cancelled here. */
export async function pollLiveOrder(req: OrderRequest, stored: OrderResult, target: LiveOrderTarget, now: () => number = Date.now): Promise<OrderResult> {
  if (isFinal(stored.status)) return stored;
  const { exchange } = target.connection;
  const market = await tradableMarket(exchange, req.symbol);
  if (stored.status === 'unknown') return followUnknownOrder(req, stored, target, market);
  const found = await exchangeCall(exchange, `look up order ${req.clientOrderId}`, () =>
    findExchangeOrder(exchange, { symbol: req.symbol, clientOrderId: req.clientOrderId, type: req.type, exchangeOrderId: stored.exchangeOrderId }),
  );
  if (!found) {
    throw failure('OrderLookupInconsistent', `${exchange.id} does not (yet) show order ${req.clientOrderId} (${stored.status})`);
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
export async function cancelLiveOrder(
  req: OrderRequest, stored: OrderResult | undefined, target: LiveOrderTarget, outcome: 'cancelled' | 'expired' = 'cancelled', savedAt?: number,
): Promise<OrderResult> {
  if (stored && isFinal(stored.status)) return stored;
  const { exchange } = target.connection;
  const market = await tradableMarket(exchange, req.symbol);
  if (stored?.status === 'unknown') {
    // What cannot be seen cannot be cancelled: an order found meanwhile is cancelled below, else it stays unknown.
    const followed = await followUnknownOrder(req, stored, target, market);
    if (!isResting(followed.status)) return followed;
    stored = followed;
  }
  const lookup = { symbol: req.symbol, clientOrderId: req.clientOrderId, type: req.type, exchangeOrderId: stored?.exchangeOrderId };
  let order = await exchangeCall(exchange, `look up order ${req.clientOrderId}`, () => findExchangeOrder(exchange, lookup));
  if (!order) {
    if (stored && stored.status !== 'submitted') {
      throw failure('OrderLookupInconsistent', `${exchange.id} does not (yet) show order ${req.clientOrderId} (${stored.status}) to cancel`);
    }
    if (stored) {
      // Saved as about to be sent: it may be on the exchange all the same. Resolve before calling it never sent.
      // Its exchange id, when an attempt learned it, says the order exists: without it, its own trades would look explained.
      const settled = await resolveOrMarkUnknown({ req, market, target, exchangeOrderId: stored.exchangeOrderId }, savedAt ?? Date.now(), 'cancelled while its create had no answer');
      if (settled && !isResting(settled.status)) return settled;
      if (settled) return cancelLiveOrder(req, settled, target, outcome);
    }
    const never = unplaced(req, outcome, 'cancelled before it reached the exchange');
    await saveOrder(req, never, target.context);
    return never;
  }
  if (order.status === 'open' || order.status === undefined) {
    try {
      const answer = await exchange.cancelOrder(String(order.id), req.symbol, triggerParams(exchange.id, req.type));
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
    throw failure('CancelPending', `${exchange.id} has not confirmed the cancel of order ${req.clientOrderId} yet`);
  }
  const result: OrderResult = settled.status === 'cancelled' && outcome === 'expired' ? { ...settled, status: 'expired' } : settled;
  await saveOrder(req, result, target.context);
  return result;
}
