/**
 * One trading cycle: market data, reconciliation, protective exits, features, signals, LLM check, risk and sizing,
 * orders, record. It never throws once it has started: a failure is recorded with everything gathered so far, and
 * the orders that were placed are returned so the portfolio's book always matches what was filled. Protective
 * exits run before the model, and (since `exits-always-fire`, ./exitSafety.ts) no failing stage after them, the
 * strategies, the LLM, the risk activity or another order included, keeps them from being placed and booked.
 *
 * Pure apart from its effects (./effects.ts): the cycle workflow runs it with Temporal activities, the backtester
 * with in-process ones. Every new outside call sits behind effects.patched() so older workflow histories replay.
 */
import { REFERENCE_SYMBOL } from '../referenceMarket';
import { timeframeToMs } from '../candles';
import { clientOrderId, cycleIdPrefix } from '../ids';
import { bookOrder, type CycleTrade } from '../bookOrder';
import { equity } from '../ledger';
import { summarizeMarket, type MarketStats } from '../marketStats';
import { needsLlm, planTrades, pricesOf, protectiveExits, riskReport } from '../risk';
import type {
  CycleRecord, FeatureVector, LlmVerdict, MarketCursor, MarketSnapshot, OrderRequest, OrderResult, PortfolioBook, RiskDecision, Signal, TradeProposal,
} from '../types';
import { DEFAULT_ENTRY_ORDERS, type PortfolioConfig, type RiskLimits } from '../config';
import type { StrategyOutcome } from '../strategies';
import type { OrderUpdate, OrderVenueInput } from '../contracts/execution';
import { isPromise, type CycleEffects } from './effects';
import { advance, ordersFor, outlived, reservedBy, restingStop, spendableBook, stopAction, type RestingOrder } from './restingOrders';
import { effectiveStop } from '../risk/exits';
import { decisionTime } from './strategyStep';
import { MODEL_CANDLES_PATCH, modelCandlesAt, needsModelCandles } from './modelCandles';
import { decisionsWithoutRiskActivity, entryTopUps, EXITS_ALWAYS_FIRE_PATCH } from './exitSafety';
import { markDust, refusedAsBelowMinimum, releaseDust } from '../dust';
import type { CycleEvent, CycleInput, CycleOutcome } from './types';
import { followsUp } from './unknownOrders';
import { notice, type CycleNotices } from '../notifications/cycleNotices';
import { reviewContext, workflowFallbackVerdict } from './llmContext';

/** Reconciliation of the book with the account at the start of each cycle. */
export const RECONCILE_PATCH = 'reconcile-account';
/** Scoring of matured signals after each cycle. */
export const SIGNAL_MONITORING_PATCH = 'signal-monitoring';
/** Limit orders resting across cycles: polled, booked and cancelled after their time in force. */
export const RESTING_ORDERS_PATCH = 'resting-orders';
/** The strategy engine instead of the model's signals alone (only for portfolios configured with strategies). */
export const STRATEGY_ENGINE_PATCH = 'strategy-engine';
/** Protective stops resting as stop orders (only for portfolios configured with `orders.stops: native`). */
export const NATIVE_STOPS_PATCH = 'native-stops';

/**
 * What the phases of one cycle share: its input and effects, and everything gathered so far. Every field is set
 * here, so each phase reads and writes the one context and the order of what the cycle does stays the order of
 * the phases in runCycle below.
 */
interface CycleContext {
  readonly input: CycleInput;
  readonly fx: CycleEffects;
  readonly config: PortfolioConfig;
  readonly limits: RiskLimits;
  readonly cycleId: string;
  readonly startedAt: number;
  /** The patch `exits-always-fire` (./exitSafety.ts): a failing stage no longer stops the cycle. */
  readonly exitsAlwaysFire: boolean;
  book: PortfolioBook;
  nextCursor: MarketCursor;
  readonly stats: Record<string, MarketStats>;
  /** The closes of the traded symbols this cycle (none when the market data could not be had). */
  prices: Record<string, number>;
  traded: MarketSnapshot[];
  reference: MarketSnapshot | undefined;
  /** Why the account could not be read, when it could not: the exits run on the book as it is, entries are refused. */
  unreconciled: string | undefined;
  /** Where the cycle's orders live, once the market data says the cursor. */
  venue: OrderVenueInput;
  /** A paper order's clock is the market's (its candles); a live order's is the exchange's, which runs with ours. */
  orderClock: number;
  /** The protective exits of this candle: nothing but the order placement may stand between them and their sells. */
  exits: TradeProposal[];
  featureVectors: FeatureVector[];
  signals: Signal[];
  strategyOutcome: StrategyOutcome | undefined;
  strategyProposals: StrategyOutcome['proposals'] | undefined;
  verdicts: LlmVerdict[];
  decisions: RiskDecision[];
  dailyLossLimitHit: boolean;
  readonly orders: OrderResult[];
  readonly trades: CycleTrade[];
  readonly errors: string[];
  /** Orders resting on the book; the list the portfolio gets back, whatever fails in between. */
  readonly resting: RestingOrder[];
  readonly events: CycleEvent[];
  /** Symbols whose resting buy ended this cycle: candidates for a top-up to the minimum order (./exitSafety.ts). */
  readonly endedEntries: Set<string>;
  /** What the portfolio derives notifications from (domain/notifications); data only, no effect. */
  notices: CycleNotices | undefined;
}

type Plan = ReturnType<typeof planTrades>;

/**
 * One cycle, phase by phase: market data, reconciliation, resting orders, protective exits, model signals,
 * strategies, plan, LLM review, risk, execution, top-ups, native stops, then the record. A phase that throws (before
 * `exits-always-fire`, or outside a stage) ends the phases, and the record still goes out with what was gathered.
 */
export async function runCycle(input: CycleInput, fx: CycleEffects): Promise<CycleOutcome> {
  const ctx = newContext(input, fx);
  try {
    if (!(await marketData(ctx))) {
      return { status: 'exhausted', book: ctx.book, nextCursor: ctx.nextCursor, prices: {}, equity: equity(ctx.book, {}), orders: ctx.orders, tradedSymbols: [], trades: ctx.trades, dailyLossLimitHit: false };
    }
    await reconciliation(ctx);
    await restingOrders(ctx);
    await protectiveExitsPhase(ctx);
    await modelSignals(ctx);
    await strategies(ctx);
    const plan = await planning(ctx);
    await llmReview(ctx, plan);
    if (plan.proposals.length > 0) await execution(ctx, await riskAssessment(ctx, plan));
    await topUps(ctx);
    await nativeStops(ctx);
  } catch (err) {
    ctx.errors.push(fx.describeFailure(err));
  }
  return record(ctx);
}

function newContext(input: CycleInput, fx: CycleEffects): CycleContext {
  const { config } = input;
  return {
    input, fx, config, limits: config.risk, cycleId: fx.cycleId, startedAt: fx.now(), exitsAlwaysFire: fx.patched(EXITS_ALWAYS_FIRE_PATCH),
    book: input.book, nextCursor: input.cursor, stats: {}, prices: {}, traded: [], reference: undefined, unreconciled: undefined,
    venue: { mode: config.mode, market: config.market, timeframe: config.timeframe, cursor: input.cursor, paper: config.paper }, orderClock: 0,
    exits: [], featureVectors: [], signals: [], strategyOutcome: undefined, strategyProposals: undefined, verdicts: [], decisions: [],
    dailyLossLimitHit: false, orders: [], trades: [], errors: [], resting: [...(input.openOrders ?? [])], events: [], endedEntries: new Set(),
    notices: undefined,
  };
}

/**
 * Runs one stage. With exits-always-fire its failure is recorded and `fallback` answers instead, so the stages
 * after it (the exits above all) still run; before, the cycle stopped there.
 */
async function stage<T>(ctx: CycleContext, name: string, run: () => Promise<T> | T, fallback: (why: string) => T): Promise<T> {
  if (!ctx.exitsAlwaysFire) return run();
  try {
    return await run();
  } catch (err) {
    const why = ctx.fx.describeFailure(err);
    ctx.errors.push(`${name} failed, exits went on: ${why}`);
    return fallback(why);
  }
}

const isEntry = (o: RestingOrder) => o.request.type !== 'stop';

/** Market data: the candles, each traded symbol's statistics and prices. False when a replay has run out. */
async function marketData(ctx: CycleContext): Promise<boolean> {
  const { config, fx, limits } = ctx;
  // The features of every symbol include its relation to BTC, so BTC/USDT comes along even when not traded;
  // it goes last because replays advance on the first symbol's candles.
  const fetched = config.symbols.includes(REFERENCE_SYMBOL) ? config.symbols : [...config.symbols, REFERENCE_SYMBOL];
  const fetching = fx.fetchMarketData({
    market: config.market, symbols: fetched, timeframe: config.timeframe, limit: config.candleLimit, cursor: ctx.input.cursor,
  });
  const data = isPromise(fetching) ? await fetching : fetching;
  if (data.exhausted) return false;
  ctx.nextCursor = data.nextCursor;
  const tfMs = timeframeToMs(config.timeframe);
  const maxReturns = Math.round((limits.correlationWindowDays * 86_400_000) / tfMs);
  ctx.traded = data.snapshots.filter((s) => config.symbols.includes(s.symbol));
  ctx.reference = data.snapshots.find((s) => s.symbol === REFERENCE_SYMBOL);
  const summarize = fx.summarizeMarket ?? summarizeMarket;
  for (const s of ctx.traded) ctx.stats[s.symbol] = summarize(s.symbol, s.candles, tfMs, maxReturns);
  ctx.prices = pricesOf(ctx.stats);
  return true;
}

/** The book reconciled with the account, and dust worth a sale again released. */
async function reconciliation(ctx: CycleContext): Promise<void> {
  const { config, fx, input, cycleId } = ctx;
  if (fx.patched(RECONCILE_PATCH)) {
    // The account (the exchange, or the paper broker's record of fills) is the truth about what is held: drift is
    // recorded by the activity and the corrected book adopted before anything is decided on it. When it cannot
    // be had, the exits still run on the book as it is, and no entry is made.
    const reconciled = await stage(ctx, 'reconciliation', () => fx.reconcileAccount({
      mode: config.mode, market: config.market, portfolioId: input.portfolioId, symbols: config.symbols,
      initialCash: config.initialCash, cycleId, book: ctx.book, prices: ctx.prices, cyclePrefix: cycleIdPrefix(cycleId),
    }), (why) => {
      ctx.unreconciled = why;
      return undefined;
    });
    if (reconciled?.suspect?.length) ctx.notices = notice(ctx.notices, { reconciliationAnomalies: reconciled.suspect.map((detail) => ({ detail })) });
    if (reconciled && !reconciled.inSync) {
      ctx.notices = notice(ctx.notices, { drifts: reconciled.drifts });
      fx.warn('book corrected to the account', { drifts: reconciled.drifts });
      ctx.book = reconciled.corrected;
    }
  }
  if (ctx.exitsAlwaysFire) {
    // Dust the price has made worth a sale again is a position again: its own levels, a pending stop included, apply.
    const dust = releaseDust(ctx.book, ctx.prices);
    ctx.book = dust.book;
    for (const symbol of dust.released) ctx.events.push({ kind: 'dust-released', symbol, time: fx.now(), detail: `worth the venue's minimum again at ${ctx.prices[symbol]}` });
  }
  ctx.venue = { mode: config.mode, market: config.market, timeframe: config.timeframe, cursor: ctx.nextCursor, paper: config.paper };
  ctx.orderClock = config.mode === 'paper' ? ctx.nextCursor.time ?? fx.now() : fx.now();
}

/** Resting orders polled, their fills booked, and those that outlived their time in force cancelled. */
async function restingOrders(ctx: CycleContext): Promise<void> {
  if (ctx.resting.length > 0 && ctx.fx.patched(RESTING_ORDERS_PATCH)) await updateResting(ctx, () => true, (o) => outlived(o, ctx.orderClock));
}

/** The protective exits of this candle, and a symbol's resting buys cancelled before its exit. */
async function protectiveExitsPhase(ctx: CycleContext): Promise<void> {
  const guarded = protectiveExits(ctx.book, ctx.stats, ctx.limits, { keepPending: ctx.exitsAlwaysFire });
  ctx.book = guarded.book;
  ctx.exits = guarded.exits;
  if (guarded.exits.length > 0) {
    ctx.notices = notice(ctx.notices, { protectiveExits: guarded.exits.map((e) => ({ symbol: e.symbol, rule: e.reasons?.[0]?.rule ?? 'stop-loss', detail: e.reasons?.[0]?.detail ?? '' })) });
  }
  const exiting = new Set(guarded.exits.map((e) => e.symbol));
  if (ctx.resting.some((o) => exiting.has(o.request.symbol))) {
    // A stop that fires while a ladder of buys still rests: the buys go first, or they would reopen the position.
    await updateResting(ctx, (o) => exiting.has(o.request.symbol), () => true);
    for (const exit of guarded.exits) exit.quantity = ctx.book.positions[exit.symbol]?.quantity ?? exit.quantity;
  }
}

/** The model's features and signals; without them only the protective exits and the strategies run. */
async function modelSignals(ctx: CycleContext): Promise<void> {
  const { fx, config } = ctx;
  try {
    // The model's features are defined on its own timeframe (1h): a cycle on another one reads the model's candles
    // closed at its decision time with a second fetch that moves nothing (./modelCandles.ts).
    const modelInput = needsModelCandles(config.timeframe) && fx.patched(MODEL_CANDLES_PATCH)
      ? await modelCandlesAt(fx, config, ctx.traded, ctx.nextCursor)
      : { snapshots: ctx.traded, reference: ctx.reference };
    const computing = fx.computeFeatures(modelInput);
    ctx.featureVectors = isPromise(computing) ? await computing : computing;
    const inferring = fx.inferSignals({ features: ctx.featureVectors });
    ctx.signals = isPromise(inferring) ? await inferring : inferring;
  } catch (err) {
    ctx.errors.push(`signals unavailable, only protective exits ran: ${fx.describeFailure(err)}`);
  }
}

/** The strategy engine's proposals (portfolios configured with strategies). */
async function strategies(ctx: CycleContext): Promise<void> {
  const { config, fx, book, prices } = ctx;
  const time = decisionTime(ctx.traded);
  if (config.strategies && time !== null && fx.patched(STRATEGY_ENGINE_PATCH)) {
    ctx.strategyOutcome = await stage(ctx, 'strategy engine', () => fx.proposeStrategies({
      snapshots: ctx.traded, timeframe: config.timeframe, time, config: config.strategies!,
      portfolio: { positions: book.positions, equity: equity(book, prices), cash: book.cash - reservedCash(ctx) },
      signals: Object.fromEntries(ctx.signals.map((sig) => [sig.symbol, sig])),
    }), () => undefined);
    // A failed strategy engine proposes nothing: the model's signals do not stand in for the strategies.
    ctx.strategyProposals = ctx.strategyOutcome?.proposals ?? [];
  }
}

/** The plan: one intent per symbol (exits first), and the proposals refused before any assessment. */
async function planning(ctx: CycleContext): Promise<Plan> {
  const { input, resting, fx } = ctx;
  const planContext = {
    book: ctx.book, stats: ctx.stats, limits: ctx.limits, cooldowns: input.cooldowns ?? {}, now: fx.now(), dailyHalt: input.dailyHalt ?? false, halt: input.halt, exits: ctx.exits,
    ...(ctx.strategyProposals ? { strategyProposals: ctx.strategyProposals } : {}),
    // A resting stop only guards a position; it does not keep the symbol from being traded.
    ...(resting.some(isEntry) ? { restingSymbols: [...new Set(resting.filter(isEntry).map((o) => o.request.symbol))] } : {}),
    ...(ctx.unreconciled ? { entriesBlocked: { rule: 'account-unreconciled', effect: 'block' as const, detail: `the account could not be read (${ctx.unreconciled}): no entry until it can` } } : {}),
  };
  const plan = await stage(ctx, 'planning', () => planTrades(ctx.signals, planContext), () => ({ proposals: ctx.exits, refused: [], dailyLossLimitHit: false }));
  ctx.dailyLossLimitHit = plan.dailyLossLimitHit;
  ctx.decisions = [...plan.refused];
  return plan;
}

/** The LLM's verdicts on the entries and signal exits; without them the assessment refuses those ('llm-verdict'). */
async function llmReview(ctx: CycleContext, plan: Plan): Promise<void> {
  const { config, input, book, prices, fx } = ctx;
  const asked = plan.proposals.filter(needsLlm);
  if (asked.length === 0) return;
  // The reviewer's context (./llmContext.ts). A review that fails outright gets the fallback policy's verdicts, and
  // the exits go on either way.
  const review = reviewContext({
    proposals: asked, book, stats: ctx.stats, prices, features: ctx.featureVectors, strategy: ctx.strategyOutcome, limits: ctx.limits,
    dailyNotional: input.dailyNotional ?? 0, trades: input.recentTrades,
  });
  ctx.verdicts = await stage(ctx, `LLM review (fallback policy '${config.llm.fallback}' applied)`, () => fx.validateTrades({
    proposals: asked,
    policy: config.llm,
    context: { portfolioId: input.portfolioId, cash: book.cash, equity: equity(book, prices), positions: book.positions, ...review },
  }), (why) => asked.map((p) => workflowFallbackVerdict(p.symbol, config.llm, why)));
  ctx.notices = notice(ctx.notices, { llm: { verdicts: ctx.verdicts.length, fallbacks: ctx.verdicts.filter((v) => v.fallback).length } });
}

/** Every proposal assessed and sized (by the pure rules in the workflow when the risk activity fails); the approved, sells first. */
async function riskAssessment(ctx: CycleContext, plan: Plan): Promise<RiskDecision[]> {
  const { config, input, fx } = ctx;
  const costRate = config.paper.feeRate + config.paper.slippageBps / 10_000;
  // Cash promised to resting buys is not there to spend: the assessment sees the book without it.
  const context = {
    book: spendableBook(ctx.book, ctx.resting, config.paper.feeRate), stats: ctx.stats, limits: ctx.limits, costRate,
    tradeStats: input.tradeStats ?? { wins: 0, losses: 0, grossWin: 0, grossLoss: 0 }, dailyNotional: input.dailyNotional ?? 0,
  };
  const assessed = await stage(ctx, 'risk assessment', () => fx.assessTradeRisk({
    proposals: plan.proposals, verdicts: Object.fromEntries(ctx.verdicts.map((v) => [v.symbol, v])), context,
  }), (why) => decisionsWithoutRiskActivity(plan.proposals, context, why));
  ctx.decisions = [...ctx.decisions, ...assessed];
  // Sells first so their proceeds can pay for the buys.
  return assessed.filter((d) => d.approved).sort((a, b) => Number(a.side === 'buy') - Number(b.side === 'buy'));
}

/** The approved decisions' orders, placed and booked one by one. */
async function execution(ctx: CycleContext, approved: RiskDecision[]): Promise<void> {
  const { config, input, limits, cycleId } = ctx;
  const policy = config.orders ?? DEFAULT_ENTRY_ORDERS;
  for (const decision of approved) {
    // One order that fails (an exchange refusal, a worker lost for good) costs that order only.
    await stage(ctx, `order ${decision.side} ${decision.symbol}`, async () => {
      if (decision.side === 'sell' && restingStop(ctx.resting, decision.symbol)) {
        // The stop holds the coins on the exchange: it goes first, and the sell takes what is left after it.
        await updateResting(ctx, (o) => o.request.type === 'stop' && o.request.symbol === decision.symbol, () => true);
        const held = ctx.book.positions[decision.symbol]?.quantity ?? 0;
        if (!(held > 0)) return;
        decision.quantity = Math.min(decision.quantity, held);
      }
      const minNotional = ctx.exitsAlwaysFire ? limits.minOrderNotional : undefined;
      for (const request of ordersFor(decision, { cycleId, portfolioId: input.portfolioId, policy, minNotional })) await place(ctx, request, decision.levels);
    }, () => undefined);
  }
}

/** Entries that ended partly filled under the minimum order, completed to it so they can be sold (./exitSafety.ts). */
async function topUps(ctx: CycleContext): Promise<void> {
  if (!ctx.exitsAlwaysFire || ctx.endedEntries.size === 0) return;
  const { input, cycleId } = ctx;
  const busy = new Set([...ctx.exits.map((e) => e.symbol), ...ctx.resting.filter(isEntry).map((o) => o.request.symbol)]);
  for (const topUp of entryTopUps(ctx.endedEntries, ctx.book, ctx.prices, ctx.limits, { cycleId, portfolioId: input.portfolioId, busy, halted: Boolean(input.halt) })) {
    ctx.decisions.push(topUp.decision);
    await stage(ctx, `top-up of ${topUp.request.symbol}`, () => place(ctx, topUp.request, undefined), () => undefined);
  }
}

/**
 * Every protected position's stop as a resting stop order (placed, resized or raised here), so it fires even when
 * no cycle runs; the cycle's own check stays as the safety net for a stop the exchange could not hold.
 */
async function nativeStops(ctx: CycleContext): Promise<void> {
  const { config, fx, input, limits, cycleId, resting, prices } = ctx;
  if (config.orders?.stops !== 'native' || !fx.patched(NATIVE_STOPS_PATCH)) return;
  for (const order of resting.filter((o) => o.request.type === 'stop' && !ctx.book.positions[o.request.symbol])) {
    await updateResting(ctx, (o) => o === order, () => true);
  }
  for (const position of Object.values(ctx.book.positions)) {
    if (!position.protection || position.stopEmulated || position.dust || !(position.quantity * (prices[position.symbol] ?? 0) >= limits.minOrderNotional)) continue;
    const trigger = effectiveStop(position.protection).level;
    const current = restingStop(resting, position.symbol);
    const action = stopAction(current, position.quantity, trigger);
    if (action === 'keep') continue;
    if (current) {
      await updateResting(ctx, (o) => o === current, () => true);
      if (restingStop(resting, position.symbol)) continue; // could not be cancelled now: try again next cycle
    }
    const held = ctx.book.positions[position.symbol]?.quantity ?? 0;
    if (!(held > 0)) continue;
    const request = {
      clientOrderId: clientOrderId(cycleId, position.symbol, 'stop'), portfolioId: input.portfolioId, cycleId, symbol: position.symbol,
      side: 'sell' as const, type: 'stop' as const, quantity: held, stopPrice: trigger, referencePrice: prices[position.symbol] ?? trigger,
    };
    const placed = await fx.placeProtectiveStop({
      request, mode: config.mode, market: config.market, timeframe: config.timeframe, cursor: ctx.nextCursor, paper: config.paper,
      balances: { cash: ctx.book.cash - reservedCash(ctx), position: held },
    });
    if (placed.emulated) {
      ctx.book = { ...ctx.book, positions: { ...ctx.book.positions, [position.symbol]: { ...ctx.book.positions[position.symbol], stopEmulated: placed.reason } } };
      continue;
    }
    ctx.orders.push(placed.order);
    ctx.book = bookOrder(ctx.book, placed.order, ctx.stats[position.symbol], limits, fx.now(), ctx.trades);
    if (followsUp(placed.order.status, fx)) {
      resting.push({ request, status: placed.order.status, bookedFills: placed.order.fills.length, filledQuantity: placed.order.filledQuantity, placedAt: placed.order.placedAt ?? ctx.orderClock });
    }
  }
}

/** The record of the cycle (decisions, orders, book) and the scoring of matured signals; then the outcome. */
async function record(ctx: CycleContext): Promise<CycleOutcome> {
  const { fx, input, config, limits, errors, trades, events, resting } = ctx;
  // Again from the statistics: a cycle that failed while summarizing the market is marked with what it had.
  const prices = pricesOf(ctx.stats);
  const { book, signals, strategyOutcome } = ctx;
  const marked = equity(book, prices);
  const status: CycleOutcome['status'] = errors.length ? 'failed' : 'completed';
  let error = errors.length ? errors.join('; ') : undefined;
  const report = fx.reportRisk === false ? undefined : riskReport(book, ctx.stats, signals, limits, {
    dailyNotional: (input.dailyNotional ?? 0) + trades.reduce((s, t) => s + t.notional, 0), asOf: fx.now(),
  });
  const cycleRecord: CycleRecord = {
    cycleId: ctx.cycleId, portfolioId: input.portfolioId, cycleNo: input.cycleNo, mode: config.mode, market: config.market,
    status, error, startedAt: ctx.startedAt, finishedAt: fx.now(),
    features: ctx.featureVectors, signals, verdicts: ctx.verdicts, decisions: ctx.decisions, orders: ctx.orders, book, prices, equity: marked, risk: report,
    ...(strategyOutcome ? { strategies: { regime: strategyOutcome.regime, breaker: strategyOutcome.breaker, considered: strategyOutcome.considered } } : {}),
    ...(events.length > 0 ? { events } : {}),
  };
  let finalStatus = status;
  try {
    const recording = fx.recordCycle(cycleRecord);
    if (isPromise(recording)) await recording;
  } catch (err) {
    // The orders are already saved by the execution activity; the book below still carries every fill.
    finalStatus = 'failed';
    error = `${error ? `${error}; ` : ''}recording failed: ${fx.describeFailure(err)}`;
  }
  if (fx.patched(SIGNAL_MONITORING_PATCH)) {
    // Scores earlier signals whose horizon has passed (hit rate against confidence, per model version).
    // Monitoring only: its failure never fails the cycle.
    try {
      const scoring = fx.scoreMatureSignals({ portfolioId: input.portfolioId });
      if (isPromise(scoring)) await scoring;
    } catch (err) {
      fx.warn('signal scoring failed', { error: fx.describeFailure(err) });
    }
  }
  return {
    status: finalStatus, error, book, nextCursor: ctx.nextCursor, prices, equity: marked, orders: ctx.orders,
    tradedSymbols: trades.map((t) => t.symbol), trades, dailyLossLimitHit: ctx.dailyLossLimitHit, risk: report,
    ...(resting.length > 0 || (input.openOrders?.length ?? 0) > 0 ? { openOrders: resting } : {}),
    ...(events.length > 0 ? { events } : {}),
    ...(ctx.notices ? { notices: ctx.notices } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// What the phases share: resting orders brought up to date, and one order placed and booked.

/** Cash promised to resting buys. */
function reservedCash(ctx: CycleContext): number {
  return reservedBy(ctx.resting, ctx.config.paper.feeRate).cash;
}

/** Books an update of a resting order; returns the order while it still rests, null once it ended. */
function bookUpdate(ctx: CycleContext, order: RestingOrder, update: OrderUpdate): RestingOrder | null {
  const { next, unbooked } = advance(order, update.order, update.newFills);
  if (unbooked.fills.length > 0) ctx.book = bookOrder(ctx.book, unbooked, ctx.stats[order.request.symbol], ctx.limits, ctx.fx.now(), ctx.trades, order.levels);
  if (!next) {
    ctx.orders.push(update.order);
    if (order.request.side === 'buy' && order.request.type !== 'stop' && update.order.filledQuantity > 0) ctx.endedEntries.add(order.request.symbol);
  }
  return next;
}

/**
 * Brings the selected resting orders up to date: polls them, or cancels them when `cancel` says so (a cancel
 * books the fills it finds first). One that cannot be reached stays as it was; the others are not touched.
 */
async function updateResting(ctx: CycleContext, select: (o: RestingOrder) => boolean, cancel: (o: RestingOrder) => boolean): Promise<void> {
  const { resting, fx } = ctx;
  for (const order of resting.splice(0)) {
    if (!select(order)) { resting.push(order); continue; }
    const ref = { ...ctx.venue, clientOrderId: order.request.clientOrderId };
    try {
      let next: RestingOrder | null = order;
      if (!cancel(order)) next = bookUpdate(ctx, order, await fx.pollOrder({ ...ref, knownFillCount: order.bookedFills }));
      if (next && cancel(next)) next = bookUpdate(ctx, next, await fx.cancelOrder({ ...ref, knownFillCount: next.bookedFills }));
      if (next) resting.push(next);
    } catch (err) {
      resting.push(order);
      ctx.errors.push(`order ${order.request.clientOrderId} not updated: ${fx.describeFailure(err)}`);
    }
  }
}

/** Places one order and books it; a sale of the whole position the venue refuses as under its minimum marks it as dust, once. */
async function place(ctx: CycleContext, request: OrderRequest, levels: RiskDecision['levels']): Promise<void> {
  const { config, fx } = ctx;
  const result = await fx.placeOrder({
    request, mode: config.mode, market: config.market, timeframe: config.timeframe, cursor: ctx.nextCursor, paper: config.paper,
    balances: { cash: ctx.book.cash - reservedCash(ctx), position: ctx.book.positions[request.symbol]?.quantity ?? 0 },
  });
  ctx.orders.push(result);
  ctx.book = bookOrder(ctx.book, result, ctx.stats[result.symbol], ctx.limits, fx.now(), ctx.trades, levels);
  if (result.status === 'unknown') {
    ctx.notices = notice(ctx.notices, { unknownOrderOutcomes: [...(ctx.notices?.unknownOrderOutcomes ?? []), {
      clientOrderId: result.clientOrderId, symbol: result.symbol, side: result.side, reason: result.rejectReason ?? 'the exchange did not say whether it was applied',
    }] });
  }
  // Resting orders, and (./unknownOrders.ts) orders whose outcome is unknown, are followed from cycle to cycle.
  if (followsUp(result.status, fx)) {
    ctx.resting.push({
      request, status: result.status, bookedFills: result.fills.length, filledQuantity: result.filledQuantity,
      placedAt: result.placedAt ?? ctx.orderClock, ...(levels ? { levels } : {}),
    });
  }
  // A buy that ended at once with part of it filled (an exchange's IOC remainder) is completed like a resting one.
  if (request.side === 'buy' && result.filledQuantity > 0 && result.filledQuantity < request.quantity * (1 - 1e-9) && result.status !== 'open' && result.status !== 'partially_filled') {
    ctx.endedEntries.add(request.symbol);
  }
  // Only a sale of the whole position makes it dust: a trim under the minimum says nothing about the rest.
  const wholePosition = request.quantity >= (ctx.book.positions[request.symbol]?.quantity ?? Infinity) * (1 - 1e-9);
  if (ctx.exitsAlwaysFire && refusedAsBelowMinimum(result) && wholePosition) {
    ctx.book = markDust(ctx.book, result, fx.now());
    ctx.events.push({ kind: 'exit-unexecutable', symbol: result.symbol, time: fx.now(), detail: result.rejectReason ?? 'below the venue minimum' });
    ctx.notices = notice(ctx.notices, { exitsNotExecuted: [...(ctx.notices?.exitsNotExecuted ?? []), { symbol: result.symbol, reason: `dust: ${result.rejectReason ?? 'below the venue minimum'}` }] });
    fx.warn('exit refused as under the venue minimum: the position is dust', { symbol: result.symbol, reason: result.rejectReason });
  }
}
