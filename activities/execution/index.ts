/**
 * Execution activities (task queue `execution`, one worker per account). Paper and live share one lifecycle:
 * submitted → open → partially filled → filled, or cancelled / rejected / expired. Every activity persists the
 * order and its fills before returning, so no fill exists only in memory, and each is safe to retry: orders carry
 * deterministic client order ids and are looked up before they are placed (liveBroker.ts, paperOrders.ts).
 *
 * Only activities are exported here: workflows proxy this module as a whole.
 */
import { ApplicationFailure } from '@temporalio/common';
import type {
  AccountInput, CancelAllOpenOrdersInput, CancelAllResult, CancelOrderInput, ExecutionPort, ForeignOrder, OrderUpdate, OrderVenueInput,
  PlaceOrderInput, PollOrderInput, ProtectiveStopResult, ReconcileAccountInput, ReconcileAccountResult,
} from '../../domain/contracts/execution';
import { isFinal, isResting, unappliedFills } from '../../domain/orderLifecycle';
import { quoteAsset, reconcile, splitSymbol, type AccountSnapshot, type Reconciliation } from '../../domain/reconcile';
import type { Fill, MarketCursor, Mode, OrderRequest, OrderResult, PortfolioBook, Side } from '../../domain/types';
import { parseMarketSpec } from '../market/marketSpec';
import { metrics } from '../metrics';
import { recordDrifts } from '../persistence/driftStore';
import { findStoredOrder, unfinishedOrders, type OrderContext, type StoredOrderView } from '../persistence/orderStore';
import { checkExchangeAccount, liveAccountSnapshot, paperAccountSnapshot, type ExchangeCheckReport } from './account';
import { heartbeat, logInfo, logWarn, pause } from './activityContext';
import { connect, type Connection } from './connector';
import { toExecutionFailure } from './exchangeErrors';
import { readExchangeSettings } from './exchangeSettings';
import { assertLiveTradingEnabled, cancelLiveOrder, exchangeCall, placeLiveOrder, pollLiveOrder } from './liveBroker';
import { reconcileSceptically } from './liveReconciliation';
import { loadMarkets, tradableMarket } from './marketMetadata';
import { exchangeClientOrderId, findExchangeOrder } from './orderLookup';
import type { Balances, PaperTerms } from '../../domain/paperBroker';
import { cancelPaperOrder, placePaperOrder, pollPaperOrder, type PaperVenue } from './paperOrders';
import { nativeStopKind, stopLimitPrice, type NativeStopKind } from './protectiveStops';
import { failure } from '../../domain/failures';

export type { Balances, PaperTerms } from '../../domain/paperBroker';
export type { ExchangeCheckReport } from './account';

export type {
  AccountInput, CancelAllOpenOrdersInput, CancelAllResult, CancelOrderInput, ForeignOrder, OrderUpdate, OrderVenueInput, PlaceOrderInput,
  PollOrderInput, ProtectiveStopResult, ReconcileAccountInput, ReconcileAccountResult,
} from '../../domain/contracts/execution';

export interface CheckExchangeInput {
  /** The portfolio's market; `live:<id>` names the exchange when EXCHANGE_ID is unset. */
  market?: string;
  symbols: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Input checks: a malformed input is a bug in the caller, refused with what is wrong.

function invalid(message: string): ApplicationFailure {
  return failure('InvalidInput', message);
}

const CLIENT_ID = /^[A-Za-z0-9._-]{1,36}$/;

function checkClientOrderId(id: unknown): string {
  if (typeof id !== 'string' || !CLIENT_ID.test(id)) throw invalid(`clientOrderId must be 1-36 characters of [A-Za-z0-9._-], got ${JSON.stringify(id)}`);
  return id;
}

function checkSymbol(symbol: unknown): string {
  if (typeof symbol !== 'string') throw invalid(`symbol must be a string, got ${JSON.stringify(symbol)}`);
  try {
    splitSymbol(symbol);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  return symbol;
}

function checkRequest(req: OrderRequest | undefined): OrderRequest {
  if (!req || typeof req !== 'object') throw invalid('request is missing');
  checkClientOrderId(req.clientOrderId);
  for (const key of ['portfolioId', 'cycleId'] as const) {
    if (typeof req[key] !== 'string' || req[key] === '') throw invalid(`order ${req.clientOrderId}: ${key} must be a non-empty string, got ${JSON.stringify(req[key])}`);
  }
  checkSymbol(req.symbol);
  if (req.side !== 'buy' && req.side !== 'sell') throw invalid(`order ${req.clientOrderId}: side must be buy or sell, got ${JSON.stringify(req.side)}`);
  if (!['market', 'limit', 'stop'].includes(req.type)) throw invalid(`order ${req.clientOrderId}: type must be market, limit or stop, got ${JSON.stringify(req.type)}`);
  // JSON has no NaN: it arrives as a number here only from in-process callers, and must never reach the database.
  const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!positive(req.quantity)) throw invalid(`order ${req.clientOrderId}: quantity must be a positive finite number, got ${String(req.quantity)}`);
  if (!positive(req.referencePrice)) throw invalid(`order ${req.clientOrderId}: referencePrice must be a positive finite number, got ${String(req.referencePrice)}`);
  if (req.type === 'limit' && !positive(req.limitPrice)) throw invalid(`limit order ${req.clientOrderId}: limitPrice must be a positive finite number, got ${String(req.limitPrice)}`);
  if (req.type === 'stop' && !positive(req.stopPrice)) throw invalid(`stop order ${req.clientOrderId}: stopPrice must be a positive finite number, got ${String(req.stopPrice)}`);
  if (req.timeInForceMs !== undefined && !(Number.isInteger(req.timeInForceMs) && req.timeInForceMs > 0)) {
    throw invalid(`order ${req.clientOrderId}: timeInForceMs must be a positive whole number of ms, got ${req.timeInForceMs}`);
  }
  return req;
}

function checkMode(mode: unknown): Mode {
  if (mode !== 'paper' && mode !== 'live') throw invalid(`mode must be paper or live, got ${JSON.stringify(mode)}`);
  return mode;
}

function checkKnownFills(n: number | undefined): number {
  const count = n ?? 0;
  if (!Number.isInteger(count) || count < 0) throw invalid(`knownFillCount must be a whole number >= 0, got ${n}`);
  return count;
}

/**
 * The exchange a live portfolio's orders go to: its `live:<id>` market, which EXCHANGE_ID (when set) must name.
 * A replayed or simulated market is refused: live orders are never decided on history (readExchangeSettings
 * refuses a market of another exchange). `exchangeId`: where a stored order went, for follow-ups.
 */
function liveConnection(market: string, exchangeId?: string | null): Connection {
  const source = parseMarketSpec(market);
  if (source.kind !== 'live') {
    throw failure('InvalidConfig', `live mode trades only on live:<exchange> market data, got market '${market}': refusing to place real orders on replayed or simulated prices`);
  }
  return connect(exchangeId ?? source.exchangeId);
}

function orderContext(mode: Mode, market: string, connection?: Connection): OrderContext {
  return { mode, market, ...(connection && { exchangeId: connection.settings.exchangeId }) };
}

/** The exchange connection and the record context every live order call needs. */
function liveTarget(market: string, exchangeId?: string | null) {
  const connection = liveConnection(market, exchangeId);
  return { connection, context: orderContext('live', market, connection) };
}

function paperVenue(input: OrderVenueInput): PaperVenue {
  return { market: input.market, timeframe: input.timeframe, cursor: input.cursor, paper: input.paper };
}

async function storedOrder(clientOrderId: string): Promise<StoredOrderView> {
  const stored = await findStoredOrder(checkClientOrderId(clientOrderId));
  if (!stored) throw failure('UnknownOrder', `no order with client order id ${clientOrderId} was placed`);
  return stored;
}

function countOutcome(mode: Mode, order: OrderResult, newFills: Fill[]): void {
  if (newFills.length) metrics.fills.inc({ mode, side: order.side }, newFills.length);
}

// ---------------------------------------------------------------------------------------------------------------
// Activities

/**
 * Places one order (market, limit or stop), at most once. A market order usually comes back filled; a limit or
 * stop order comes back open (or filled, if a limit was marketable) and is followed with pollOrder / cancelOrder.
 * An order the exchange's minimums or the paper balances refuse comes back `rejected` with the reason. An order
 * the exchange refuses (funds, order, symbol, keys) is recorded as rejected and fails non-retryably with a type.
 */
export async function placeOrder(input: PlaceOrderInput): Promise<OrderResult> {
  const request = checkRequest(input.request);
  const mode = checkMode(input.mode);
  let result: OrderResult;
  if (mode === 'live') {
    assertLiveTradingEnabled();
    result = await placeLiveOrder(request, liveTarget(input.market), { positionBefore: input.balances?.position });
  } else {
    const { balances } = input;
    if (!balances || !Number.isFinite(balances.cash) || !Number.isFinite(balances.position)) {
      throw invalid(`paper order ${request.clientOrderId} needs balances { cash, position } as numbers, got ${JSON.stringify(balances)}`);
    }
    result = await placePaperOrder(request, paperVenue(input), balances, orderContext(mode, input.market));
  }
  if (!result.deduplicated) {
    metrics.orders.inc({ mode, side: request.side, status: result.status });
    countOutcome(mode, result, result.fills);
  }
  logInfo(`order ${request.clientOrderId} ${request.side} ${request.quantity} ${request.symbol} ${request.type}: ${result.status}`, {
    clientOrderId: request.clientOrderId, status: result.status, deduplicated: result.deduplicated,
  });
  return result;
}

/** Brings a placed order up to date: status and fills, saved; a limit order past its time in force expires. */
export async function pollOrder(input: PollOrderInput): Promise<OrderUpdate> {
  const mode = checkMode(input.mode);
  const known = checkKnownFills(input.knownFillCount);
  const { request, result: stored, exchangeId } = await storedOrder(input.clientOrderId);
  let order: OrderResult;
  if (mode === 'live') {
    const target = liveTarget(input.market, exchangeId);
    order = await pollLiveOrder(request, stored, target);
    const deadline = Date.now() + Math.max(0, input.waitMs ?? 0);
    let delay = 500;
    while (isResting(order.status) && order.fills.length === stored.fills.length && order.status === stored.status && Date.now() + delay <= deadline) {
      heartbeat({ clientOrderId: request.clientOrderId, status: order.status });
      await pause(delay);
      delay = Math.min(delay * 2, 10_000);
      order = await pollLiveOrder(request, order, target);
    }
  } else {
    order = await pollPaperOrder(request, stored, paperVenue(input), orderContext(mode, input.market));
  }
  const newFills = unappliedFills(order, Math.min(known, order.fills.length));
  if (order.fills.length > stored.fills.length) countOutcome(mode, order, order.fills.slice(stored.fills.length));
  return { order, newFills };
}

/**
 * Cancels an order and returns its final state with any fills it got first. Idempotent: cancelling a filled,
 * cancelled, rejected or expired order returns it unchanged, and is not an error.
 */
export async function cancelOrder(input: CancelOrderInput): Promise<OrderUpdate> {
  const mode = checkMode(input.mode);
  const known = checkKnownFills(input.knownFillCount);
  const { request, result: stored, exchangeId, savedAt } = await storedOrder(input.clientOrderId);
  let order: OrderResult;
  if (mode === 'live') {
    order = await cancelLiveOrder(request, stored, liveTarget(input.market, exchangeId), 'cancelled', savedAt);
  } else {
    order = await cancelPaperOrder(request, stored, paperVenue(input), orderContext(mode, input.market));
  }
  if (!isFinal(stored.status)) logInfo(`order ${request.clientOrderId} cancel: ${order.status}`, { clientOrderId: request.clientOrderId, status: order.status });
  return { order, newFills: unappliedFills(order, Math.min(known, order.fills.length)) };
}

/**
 * Reads the account's balances, as often as called: the input is checked and the live connection (environment,
 * secret files) made once, not on every read of a reconciliation's rechecks.
 */
function accountReader(input: AccountInput, connection?: Connection): () => Promise<AccountSnapshot> {
  const mode = checkMode(input.mode);
  if (!Array.isArray(input.symbols) || input.symbols.length === 0) throw invalid('symbols must be a non-empty list');
  input.symbols.forEach(checkSymbol);
  if (mode === 'live') {
    const { exchange } = connection ?? liveConnection(input.market);
    return () => liveAccountSnapshot(exchange, input.symbols);
  }
  return () => paperAccountSnapshot(input.portfolioId, input.initialCash, input.symbols, Date.now(), input.cyclePrefix);
}

/** Balances of the account (live: the exchange; paper: initial cash plus the recorded fills), for reconciliation. */
export async function fetchAccountSnapshot(input: AccountInput): Promise<AccountSnapshot> {
  return accountReader(input)();
}

/**
 * Reconciles the portfolio's book with the account: drift per asset is reported, recorded (BalanceDrift rows, the
 * trader_balance_drift_total metric, a warning) and corrected in the returned book, which the workflow adopts.
 */
export async function reconcileAccount(input: ReconcileAccountInput): Promise<ReconcileAccountResult> {
  let outcome: Reconciliation;
  let snapshot: AccountSnapshot;
  try {
    quoteAsset(input.symbols);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  if (checkMode(input.mode) === 'live') {
    // An exchange's answer can be wrong for a moment: only a plausible snapshot, and only a confirmed drift, is adopted.
    const connection = liveConnection(input.market);
    const live = await reconcileSceptically(input, accountReader(input, connection), connection.settings.snapshotRecheckMs);
    ({ snapshot } = live);
    outcome = live;
  } else {
    snapshot = await fetchAccountSnapshot(input);
    try {
      outcome = reconcile(input.book, snapshot, { symbols: input.symbols, prices: input.prices });
    } catch (err) {
      throw invalid((err as Error).message);
    }
  }
  await recordDrifts(outcome.drifts, {
    portfolioId: input.portfolioId, cycleId: input.cycleId, mode: input.mode, venue: snapshot.venue, detectedAt: snapshot.asOf, corrected: !outcome.inSync,
  });
  for (const d of outcome.drifts) {
    metrics.balanceDrifts.inc({ portfolio: input.portfolioId, venue: snapshot.venue, asset: d.asset });
    logWarn(`balance drift on ${snapshot.venue} for ${input.portfolioId}: ${d.asset} book ${d.book} account ${d.account} (${d.drift > 0 ? '+' : ''}${d.drift}); corrected`, { ...d });
  }
  return { ...outcome, snapshot };
}

/**
 * A protective stop for a position. Paper: a resting stop in the paper broker. Live: a native stop on the exchange
 * where the market has one (stop-market, else stop-limit), else `{ emulated: true }` and the workflow watches.
 * `request.type` must be `stop`, with stopPrice the trigger.
 */
export async function placeProtectiveStop(input: PlaceOrderInput): Promise<ProtectiveStopResult> {
  const request = checkRequest(input.request);
  if (request.type !== 'stop') throw invalid(`placeProtectiveStop needs a stop request, got type ${request.type}`);
  const mode = checkMode(input.mode);
  if (mode === 'paper') return { emulated: false, kind: 'paper', order: await placeOrder(input) };

  assertLiveTradingEnabled();
  const connection = liveConnection(input.market);
  const { exchange } = connection;
  const kind = nativeStopKind(exchange, await tradableMarket(exchange, request.symbol));
  if (kind === 'none') {
    const reason = `${exchange.id} has no native stop orders for ${request.symbol}: the portfolio workflow must watch the price`;
    logWarn(reason, { clientOrderId: request.clientOrderId });
    return {
      emulated: true,
      reason,
      stop: { clientOrderId: request.clientOrderId, symbol: request.symbol, side: request.side, quantity: request.quantity, triggerPrice: request.stopPrice! },
    };
  }
  const native: OrderRequest = kind === 'stop-limit' ? { ...request, limitPrice: stopLimitPrice(request.side, request.stopPrice!) } : request;
  return { emulated: false, kind, order: await placeOrder({ ...input, request: native }) };
}

/**
 * Cancels every resting order of the portfolio (and, live, every other open order on the account for its symbols).
 * Idempotent: a second call finds nothing left to cancel. Emergency liquidation calls it first.
 */
export async function cancelAllOpenOrders(input: CancelAllOpenOrdersInput): Promise<CancelAllResult> {
  const mode = checkMode(input.mode);
  if (!Array.isArray(input.symbols)) throw invalid('symbols must be a list');
  input.symbols.forEach(checkSymbol);
  const ours = await unfinishedOrders(input.portfolioId, mode);
  const orders: OrderResult[] = [];
  const foreign: ForeignOrder[] = [];
  if (mode === 'paper') {
    for (const o of ours) orders.push(await cancelPaperOrder(o.request, o.result, paperVenue(input), orderContext(mode, input.market)));
    return { orders, foreign };
  }
  const target = liveTarget(input.market);
  const { exchange } = target.connection;
  for (const o of ours) {
    heartbeat({ cancelling: o.request.clientOrderId });
    orders.push(await cancelLiveOrder(o.request, o.result, target, 'cancelled', o.savedAt));
  }
  const ourIds = new Set(ours.map((o) => exchangeClientOrderId(exchange.id, o.request.clientOrderId)));
  await loadMarkets(exchange);
  for (const symbol of new Set([...input.symbols, ...ours.map((o) => o.request.symbol)])) {
    const open = await exchangeCall(exchange, `open orders ${symbol}`, () => exchange.fetchOpenOrders(symbol));
    for (const order of open) {
      if (order.clientOrderId && ourIds.has(order.clientOrderId)) continue;
      heartbeat({ cancelling: order.id });
      try {
        await exchange.cancelOrder(String(order.id), symbol);
      } catch (err) {
        // Gone already (filled or cancelled meanwhile) is what we wanted; anything else is reported by the mapping.
        const current = await exchangeCall(exchange, `order ${order.id}`, () =>
          findExchangeOrder(exchange, { symbol, clientOrderId: order.clientOrderId ?? '', type: 'market', exchangeOrderId: String(order.id) }),
        );
        if (current?.status === 'open') throw toExecutionFailure(err, `${exchange.id} cancel order ${order.id}`, exchange);
      }
      foreign.push({ symbol, exchangeOrderId: String(order.id), ...(order.clientOrderId && { clientOrderId: order.clientOrderId }), status: 'cancelled' });
      logWarn(`cancelled open order ${order.id} on ${symbol} that this system did not place`, { exchangeOrderId: order.id });
    }
  }
  return { orders, foreign };
}

/** The dry exchange check: authentication, balances and market limits; never places or cancels anything. */
export async function checkExchange(input: CheckExchangeInput): Promise<ExchangeCheckReport> {
  if (!Array.isArray(input.symbols)) throw invalid('symbols must be a list');
  input.symbols.forEach(checkSymbol);
  const source = input.market ? parseMarketSpec(input.market) : undefined;
  const settings = readExchangeSettings(source?.kind === 'live' ? source.exchangeId : undefined);
  return checkExchangeAccount(settings, input.symbols);
}

// The execution port of the cycle's contracts (domain/contracts): the compiler holds these activities to it.
void ({ reconcileAccount, placeOrder, pollOrder, cancelOrder, placeProtectiveStop, cancelAllOpenOrders } satisfies ExecutionPort);
