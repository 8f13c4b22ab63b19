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
import type { CycleRecord, FeatureVector, LlmVerdict, OrderRequest, OrderResult, RiskDecision, Signal } from '../types';
import { DEFAULT_ENTRY_ORDERS } from '../config';
import type { StrategyOutcome } from '../strategies';
import type { OrderUpdate } from '../contracts/execution';
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

export async function runCycle(input: CycleInput, fx: CycleEffects): Promise<CycleOutcome> {
  const { config } = input;
  const limits = config.risk;
  const startedAt = fx.now();
  const { cycleId } = fx;
  let book = input.book;
  let nextCursor = input.cursor;
  let stats: Record<string, MarketStats> = {};
  /** The closes of the traded symbols this cycle (none when the market data could not be had). */
  let prices: Record<string, number> = {};
  let featureVectors: FeatureVector[] = [];
  let signals: Signal[] = [];
  let verdicts: LlmVerdict[] = [];
  let decisions: RiskDecision[] = [];
  let dailyLossLimitHit = false;
  let strategyOutcome: StrategyOutcome | undefined;
  const orders: OrderResult[] = [];
  const trades: CycleTrade[] = [];
  const errors: string[] = [];
  const isEntry = (o: RestingOrder) => o.request.type !== 'stop';
  // Orders resting on the book; the list the portfolio gets back, whatever fails in between.
  const resting: RestingOrder[] = [...(input.openOrders ?? [])];
  const events: CycleEvent[] = [];
  /** Symbols whose resting buy ended this cycle: candidates for a top-up to the minimum order (./exitSafety.ts). */
  const endedEntries = new Set<string>();
  const exitsAlwaysFire = fx.patched(EXITS_ALWAYS_FIRE_PATCH);
  /**
   * Runs one stage. With exits-always-fire its failure is recorded and `fallback` answers instead, so the stages
   * after it (the exits above all) still run; before, the cycle stopped there.
   */
  const stage = async <T>(name: string, run: () => Promise<T> | T, fallback: (why: string) => T): Promise<T> => {
    if (!exitsAlwaysFire) return run();
    try {
      return await run();
    } catch (err) {
      const why = fx.describeFailure(err);
      errors.push(`${name} failed, exits went on: ${why}`);
      return fallback(why);
    }
  };
  // Notifications: what the portfolio derives events from (domain/notifications); data only, no effect.
  let notices: CycleNotices | undefined;

  try {
    // The features of every symbol include its relation to BTC, so BTC/USDT comes along even when not traded;
    // it goes last because replays advance on the first symbol's candles.
    const fetched = config.symbols.includes(REFERENCE_SYMBOL) ? config.symbols : [...config.symbols, REFERENCE_SYMBOL];
    const fetching = fx.fetchMarketData({
      market: config.market, symbols: fetched, timeframe: config.timeframe, limit: config.candleLimit, cursor: input.cursor,
    });
    const data = isPromise(fetching) ? await fetching : fetching;
    if (data.exhausted) {
      return { status: 'exhausted', book, nextCursor, prices: {}, equity: equity(book, {}), orders, tradedSymbols: [], trades, dailyLossLimitHit };
    }
    nextCursor = data.nextCursor;
    const tfMs = timeframeToMs(config.timeframe);
    const maxReturns = Math.round((limits.correlationWindowDays * 86_400_000) / tfMs);
    const traded = data.snapshots.filter((s) => config.symbols.includes(s.symbol));
    const reference = data.snapshots.find((s) => s.symbol === REFERENCE_SYMBOL);
    const summarize = fx.summarizeMarket ?? summarizeMarket;
    for (const s of traded) stats[s.symbol] = summarize(s.symbol, s.candles, tfMs, maxReturns);
    prices = pricesOf(stats);

    let unreconciled: string | undefined;
    if (fx.patched(RECONCILE_PATCH)) {
      // The account (the exchange, or the paper broker's record of fills) is the truth about what is held: drift is
      // recorded by the activity and the corrected book adopted before anything is decided on it. When it cannot
      // be had, the exits still run on the book as it is, and no entry is made.
      const reconciled = await stage('reconciliation', () => fx.reconcileAccount({
        mode: config.mode, market: config.market, portfolioId: input.portfolioId, symbols: config.symbols,
        initialCash: config.initialCash, cycleId, book, prices, cyclePrefix: cycleIdPrefix(cycleId),
      }), (why) => {
        unreconciled = why;
        return undefined;
      });
      if (reconciled?.suspect?.length) notices = notice(notices, { reconciliationAnomalies: reconciled.suspect.map((detail) => ({ detail })) });
      if (reconciled && !reconciled.inSync) {
        notices = notice(notices, { drifts: reconciled.drifts });
        fx.warn('book corrected to the account', { drifts: reconciled.drifts });
        book = reconciled.corrected;
      }
    }
    if (exitsAlwaysFire) {
      // Dust the price has made worth a sale again is a position again: its own levels, a pending stop included, apply.
      const dust = releaseDust(book, prices);
      book = dust.book;
      for (const symbol of dust.released) events.push({ kind: 'dust-released', symbol, time: fx.now(), detail: `worth the venue's minimum again at ${prices[symbol]}` });
    }

    const venue = { mode: config.mode, market: config.market, timeframe: config.timeframe, cursor: nextCursor, paper: config.paper };
    // A paper order's clock is the market's (its candles); a live order's is the exchange's, which runs with ours.
    const orderClock = config.mode === 'paper' ? nextCursor.time ?? fx.now() : fx.now();
    const bookUpdate = (order: RestingOrder, update: OrderUpdate) => {
      const { next, unbooked } = advance(order, update.order, update.newFills);
      if (unbooked.fills.length > 0) book = bookOrder(book, unbooked, stats[order.request.symbol], limits, fx.now(), trades, order.levels);
      if (!next) {
        orders.push(update.order);
        if (order.request.side === 'buy' && order.request.type !== 'stop' && update.order.filledQuantity > 0) endedEntries.add(order.request.symbol);
      }
      return next;
    };
    /**
     * Brings the selected resting orders up to date: polls them, or cancels them when `cancel` says so (a cancel
     * books the fills it finds first). One that cannot be reached stays as it was; the others are not touched.
     */
    const updateResting = async (select: (o: RestingOrder) => boolean, cancel: (o: RestingOrder) => boolean) => {
      for (const order of resting.splice(0)) {
        if (!select(order)) { resting.push(order); continue; }
        const ref = { ...venue, clientOrderId: order.request.clientOrderId };
        try {
          let next: RestingOrder | null = order;
          if (!cancel(order)) next = bookUpdate(order, await fx.pollOrder({ ...ref, knownFillCount: order.bookedFills }));
          if (next && cancel(next)) next = bookUpdate(next, await fx.cancelOrder({ ...ref, knownFillCount: next.bookedFills }));
          if (next) resting.push(next);
        } catch (err) {
          resting.push(order);
          errors.push(`order ${order.request.clientOrderId} not updated: ${fx.describeFailure(err)}`);
        }
      }
    };
    const feeRate = config.paper.feeRate;
    const reservedCash = () => reservedBy(resting, feeRate).cash;
    /** Places one order and books it; a sale of the whole position the venue refuses as under its minimum marks it as dust, once. */
    const place = async (request: OrderRequest, levels: RiskDecision['levels']) => {
      const result = await fx.placeOrder({
        request, mode: config.mode, market: config.market, timeframe: config.timeframe, cursor: nextCursor, paper: config.paper,
        balances: { cash: book.cash - reservedCash(), position: book.positions[request.symbol]?.quantity ?? 0 },
      });
      orders.push(result);
      book = bookOrder(book, result, stats[result.symbol], limits, fx.now(), trades, levels);
      if (result.status === 'unknown') {
        notices = notice(notices, { unknownOrderOutcomes: [...(notices?.unknownOrderOutcomes ?? []), {
          clientOrderId: result.clientOrderId, symbol: result.symbol, side: result.side, reason: result.rejectReason ?? 'the exchange did not say whether it was applied',
        }] });
      }
      // Resting orders, and (./unknownOrders.ts) orders whose outcome is unknown, are followed from cycle to cycle.
      if (followsUp(result.status, fx)) {
        resting.push({
          request, status: result.status, bookedFills: result.fills.length, filledQuantity: result.filledQuantity,
          placedAt: result.placedAt ?? orderClock, ...(levels ? { levels } : {}),
        });
      }
      // A buy that ended at once with part of it filled (an exchange's IOC remainder) is completed like a resting one.
      if (request.side === 'buy' && result.filledQuantity > 0 && result.filledQuantity < request.quantity * (1 - 1e-9) && result.status !== 'open' && result.status !== 'partially_filled') {
        endedEntries.add(request.symbol);
      }
      // Only a sale of the whole position makes it dust: a trim under the minimum says nothing about the rest.
      const wholePosition = request.quantity >= (book.positions[request.symbol]?.quantity ?? Infinity) * (1 - 1e-9);
      if (exitsAlwaysFire && refusedAsBelowMinimum(result) && wholePosition) {
        book = markDust(book, result, fx.now());
        events.push({ kind: 'exit-unexecutable', symbol: result.symbol, time: fx.now(), detail: result.rejectReason ?? 'below the venue minimum' });
        notices = notice(notices, { exitsNotExecuted: [...(notices?.exitsNotExecuted ?? []), { symbol: result.symbol, reason: `dust: ${result.rejectReason ?? 'below the venue minimum'}` }] });
        fx.warn('exit refused as under the venue minimum: the position is dust', { symbol: result.symbol, reason: result.rejectReason });
      }
    };
    if (resting.length > 0 && fx.patched(RESTING_ORDERS_PATCH)) await updateResting(() => true, (o) => outlived(o, orderClock));

    const guarded = protectiveExits(book, stats, limits, { keepPending: exitsAlwaysFire });
    book = guarded.book;
    if (guarded.exits.length > 0) {
      notices = notice(notices, { protectiveExits: guarded.exits.map((e) => ({ symbol: e.symbol, rule: e.reasons?.[0]?.rule ?? 'stop-loss', detail: e.reasons?.[0]?.detail ?? '' })) });
    }
    const exiting = new Set(guarded.exits.map((e) => e.symbol));
    if (resting.some((o) => exiting.has(o.request.symbol))) {
      // A stop that fires while a ladder of buys still rests: the buys go first, or they would reopen the position.
      await updateResting((o) => exiting.has(o.request.symbol), () => true);
      for (const exit of guarded.exits) exit.quantity = book.positions[exit.symbol]?.quantity ?? exit.quantity;
    }
    try {
      // The model's features are defined on its own timeframe (1h): a cycle on another one reads the model's candles
      // closed at its decision time with a second fetch that moves nothing (./modelCandles.ts).
      const modelInput = needsModelCandles(config.timeframe) && fx.patched(MODEL_CANDLES_PATCH)
        ? await modelCandlesAt(fx, config, traded, nextCursor)
        : { snapshots: traded, reference };
      const computing = fx.computeFeatures(modelInput);
      featureVectors = isPromise(computing) ? await computing : computing;
      const inferring = fx.inferSignals({ features: featureVectors });
      signals = isPromise(inferring) ? await inferring : inferring;
    } catch (err) {
      errors.push(`signals unavailable, only protective exits ran: ${fx.describeFailure(err)}`);
    }

    let strategyProposals: StrategyOutcome['proposals'] | undefined;
    const time = decisionTime(traded);
    if (config.strategies && time !== null && fx.patched(STRATEGY_ENGINE_PATCH)) {
      strategyOutcome = await stage('strategy engine', () => fx.proposeStrategies({
        snapshots: traded, timeframe: config.timeframe, time, config: config.strategies!,
        portfolio: { positions: book.positions, equity: equity(book, prices), cash: book.cash - reservedCash() },
        signals: Object.fromEntries(signals.map((sig) => [sig.symbol, sig])),
      }), () => undefined);
      // A failed strategy engine proposes nothing: the model's signals do not stand in for the strategies.
      strategyProposals = strategyOutcome?.proposals ?? [];
    }

    const planContext = {
      book, stats, limits, cooldowns: input.cooldowns ?? {}, now: fx.now(), dailyHalt: input.dailyHalt ?? false, halt: input.halt, exits: guarded.exits,
      ...(strategyProposals ? { strategyProposals } : {}),
      // A resting stop only guards a position; it does not keep the symbol from being traded.
      ...(resting.some(isEntry) ? { restingSymbols: [...new Set(resting.filter(isEntry).map((o) => o.request.symbol))] } : {}),
      ...(unreconciled ? { entriesBlocked: { rule: 'account-unreconciled', effect: 'block' as const, detail: `the account could not be read (${unreconciled}): no entry until it can` } } : {}),
    };
    const plan = await stage('planning', () => planTrades(signals, planContext), () => ({ proposals: guarded.exits, refused: [], dailyLossLimitHit: false }));
    dailyLossLimitHit = plan.dailyLossLimitHit;
    decisions = [...plan.refused];
    const asked = plan.proposals.filter(needsLlm);
    if (asked.length > 0) {
      // The reviewer's context (./llmContext.ts). A review that fails outright gets the fallback policy's verdicts, and
      // the exits go on either way.
      const review = reviewContext({
        proposals: asked, book, stats, prices, features: featureVectors, strategy: strategyOutcome, limits,
        dailyNotional: input.dailyNotional ?? 0, trades: input.recentTrades,
      });
      verdicts = await stage(`LLM review (fallback policy '${config.llm.fallback}' applied)`, () => fx.validateTrades({
        proposals: asked,
        policy: config.llm,
        context: { portfolioId: input.portfolioId, cash: book.cash, equity: equity(book, prices), positions: book.positions, ...review },
      }), (why) => asked.map((p) => workflowFallbackVerdict(p.symbol, config.llm, why)));
      notices = notice(notices, { llm: { verdicts: verdicts.length, fallbacks: verdicts.filter((v) => v.fallback).length } });
    }
    if (plan.proposals.length > 0) {
      const costRate = config.paper.feeRate + config.paper.slippageBps / 10_000;
      // Cash promised to resting buys is not there to spend: the assessment sees the book without it.
      const context = {
        book: spendableBook(book, resting, feeRate), stats, limits, costRate,
        tradeStats: input.tradeStats ?? { wins: 0, losses: 0, grossWin: 0, grossLoss: 0 }, dailyNotional: input.dailyNotional ?? 0,
      };
      const assessed = await stage('risk assessment', () => fx.assessTradeRisk({
        proposals: plan.proposals, verdicts: Object.fromEntries(verdicts.map((v) => [v.symbol, v])), context,
      }), (why) => decisionsWithoutRiskActivity(plan.proposals, context, why));
      decisions = [...decisions, ...assessed];

      // Sells first so their proceeds can pay for the buys.
      const approved = assessed.filter((d) => d.approved).sort((a, b) => Number(a.side === 'buy') - Number(b.side === 'buy'));
      const policy = config.orders ?? DEFAULT_ENTRY_ORDERS;
      for (const decision of approved) {
        // One order that fails (an exchange refusal, a worker lost for good) costs that order only.
        await stage(`order ${decision.side} ${decision.symbol}`, async () => {
          if (decision.side === 'sell' && restingStop(resting, decision.symbol)) {
            // The stop holds the coins on the exchange: it goes first, and the sell takes what is left after it.
            await updateResting((o) => o.request.type === 'stop' && o.request.symbol === decision.symbol, () => true);
            const held = book.positions[decision.symbol]?.quantity ?? 0;
            if (!(held > 0)) return;
            decision.quantity = Math.min(decision.quantity, held);
          }
          const minNotional = exitsAlwaysFire ? limits.minOrderNotional : undefined;
          for (const request of ordersFor(decision, { cycleId, portfolioId: input.portfolioId, policy, minNotional })) await place(request, decision.levels);
        }, () => undefined);
      }
    }
    if (exitsAlwaysFire && endedEntries.size > 0) {
      // Entries that ended partly filled under the minimum order are completed to it, so they can be sold (./exitSafety.ts).
      const busy = new Set([...guarded.exits.map((e) => e.symbol), ...resting.filter(isEntry).map((o) => o.request.symbol)]);
      for (const topUp of entryTopUps(endedEntries, book, prices, limits, { cycleId, portfolioId: input.portfolioId, busy, halted: Boolean(input.halt) })) {
        decisions.push(topUp.decision);
        await stage(`top-up of ${topUp.request.symbol}`, () => place(topUp.request, undefined), () => undefined);
      }
    }

    if (config.orders?.stops === 'native' && fx.patched(NATIVE_STOPS_PATCH)) {
      // Every protected position's stop rests as an order (placed, resized or raised here), so it fires even when
      // no cycle runs; the cycle's own check stays as the safety net for a stop the exchange could not hold.
      for (const order of resting.filter((o) => o.request.type === 'stop' && !book.positions[o.request.symbol])) {
        await updateResting((o) => o === order, () => true);
      }
      for (const position of Object.values(book.positions)) {
        if (!position.protection || position.stopEmulated || position.dust || !(position.quantity * (prices[position.symbol] ?? 0) >= limits.minOrderNotional)) continue;
        const trigger = effectiveStop(position.protection).level;
        const current = restingStop(resting, position.symbol);
        const action = stopAction(current, position.quantity, trigger);
        if (action === 'keep') continue;
        if (current) {
          await updateResting((o) => o === current, () => true);
          if (restingStop(resting, position.symbol)) continue; // could not be cancelled now: try again next cycle
        }
        const held = book.positions[position.symbol]?.quantity ?? 0;
        if (!(held > 0)) continue;
        const request = {
          clientOrderId: clientOrderId(cycleId, position.symbol, 'stop'), portfolioId: input.portfolioId, cycleId, symbol: position.symbol,
          side: 'sell' as const, type: 'stop' as const, quantity: held, stopPrice: trigger, referencePrice: prices[position.symbol] ?? trigger,
        };
        const placed = await fx.placeProtectiveStop({
          request, mode: config.mode, market: config.market, timeframe: config.timeframe, cursor: nextCursor, paper: config.paper,
          balances: { cash: book.cash - reservedCash(), position: held },
        });
        if (placed.emulated) {
          book = { ...book, positions: { ...book.positions, [position.symbol]: { ...book.positions[position.symbol], stopEmulated: placed.reason } } };
          continue;
        }
        orders.push(placed.order);
        book = bookOrder(book, placed.order, stats[position.symbol], limits, fx.now(), trades);
        if (followsUp(placed.order.status, fx)) {
          resting.push({ request, status: placed.order.status, bookedFills: placed.order.fills.length, filledQuantity: placed.order.filledQuantity, placedAt: placed.order.placedAt ?? orderClock });
        }
      }
    }
  } catch (err) {
    errors.push(fx.describeFailure(err));
  }

  // Again from the statistics: a cycle that failed while summarizing the market is marked with what it had.
  prices = pricesOf(stats);
  const marked = equity(book, prices);
  const status: CycleOutcome['status'] = errors.length ? 'failed' : 'completed';
  let error = errors.length ? errors.join('; ') : undefined;
  const report = fx.reportRisk === false ? undefined : riskReport(book, stats, signals, limits, {
    dailyNotional: (input.dailyNotional ?? 0) + trades.reduce((s, t) => s + t.notional, 0), asOf: fx.now(),
  });
  const record: CycleRecord = {
    cycleId, portfolioId: input.portfolioId, cycleNo: input.cycleNo, mode: config.mode, market: config.market,
    status, error, startedAt, finishedAt: fx.now(),
    features: featureVectors, signals, verdicts, decisions, orders, book, prices, equity: marked, risk: report,
    ...(strategyOutcome ? { strategies: { regime: strategyOutcome.regime, breaker: strategyOutcome.breaker, considered: strategyOutcome.considered } } : {}),
    ...(events.length > 0 ? { events } : {}),
  };
  let finalStatus = status;
  try {
    const recording = fx.recordCycle(record);
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
    status: finalStatus, error, book, nextCursor, prices, equity: marked, orders,
    tradedSymbols: trades.map((t) => t.symbol), trades, dailyLossLimitHit, risk: report,
    ...(resting.length > 0 || (input.openOrders?.length ?? 0) > 0 ? { openOrders: resting } : {}),
    ...(events.length > 0 ? { events } : {}),
    ...(notices ? { notices } : {}),
  };
}
