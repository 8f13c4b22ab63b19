/**
 * The backtest engine: event-driven over the base timeframe's candles (the union of every symbol's times), one
 * trading cycle per candle through domain/cycle runCycle, the very function the cycle workflow runs, with the
 * in-process effects of ./effects.ts. Between cycles it keeps the portfolio's bookkeeping on MARKET time with the
 * portfolio workflow's own pure step (domain/portfolioStep.ts: book, the day's notional and Kelly statistics,
 * cooldowns, the daily loss halt, the drawdown peak) and takes the step's actions as the workflow does: a drawdown
 * halt stops entries, cancels resting orders and sells positions when risk.liquidateOnDrawdown says so (the
 * workflow's liquidation child); a cooldown is dropped when market time passes its end, as the workflow's timer
 * would. The trading day rolls with rollDay at each new day.
 *
 * Clock: a cycle on the candle opening at t runs at t + timeframe, when that candle has closed, as it would live;
 * its market orders fill at the next candle's open (the paper broker's rule).
 */
import { runCycle, type CycleOutcome } from '../domain/cycle';
import type { PortfolioConfig } from '../domain/config';
import { equity, isFlat, newBook, rollDay, tradingDay } from '../domain/ledger';
import { sellPositions } from '../domain/liquidation';
import { afterTrades, cycleInputOf, portfolioStep, type PortfolioAction, type PortfolioLedger } from '../domain/portfolioStep';
import type { Cooldown } from '../domain/risk';
import { dailyLossBreached } from '../domain/risk/plan';
import type { CycleTrade } from '../domain/bookOrder';
import type { CycleRecord, PortfolioBook, RiskDecision } from '../domain/types';
import type { BacktestData } from './data';
import { createBacktestEffects, type BacktestEffects, type EffectsOptions, type PrecomputedSignals, type VerdictPolicy } from './effects';
import type { CountingCache } from './llmCache';
import { computeMetrics, groupMetrics } from './metrics';
import { exitReasonOfRules, RoundTripBook } from './roundTrips';
import { RefusalTally, VerdictTally } from './refusals';
import { effectiveStop } from '../domain/risk/exits';
import type { BacktestFill, BacktestResult, Coverage, DecisionLogEntry, EquityPoint, ExitReason, FinalPosition } from './types';

export interface EngineSettings {
  /** A validated portfolio configuration (symbols, timeframe, risk, paper costs, LLM fallback policy). */
  config: PortfolioConfig;
  verdicts: VerdictPolicy;
  /** Reviews proposals in place of `verdicts` (scripts/llm-report.ts). */
  reviewer?: EffectsOptions['reviewer'];
  signals?: PrecomputedSignals;
  /** Keep every cycle's decisions (default true); a parameter search only needs trades and equity. */
  keepDecisions?: boolean;
  /** Echoed into the result as given. */
  settings?: Record<string, unknown>;
  /** `verdicts: 'ollama'`: the cache of the model's answers (its counts go into the result). */
  llmCache?: CountingCache;
  /** `verdicts: 'ollama'`: the LLM activity's function over that cache (backtest/index.ts). */
  askLlm?: EffectsOptions['askLlm'];
  /** The exchanges' paper fee schedules (backtest/index.ts). */
  exchangeFees?: EffectsOptions['exchangeFees'];
  /** Said first among the result's warnings (model signals in sample). */
  warnings?: string[];
  /**
   * Skip the cycles that provably decide nothing (default true; see `quietCycle`). Off, every candle runs the whole
   * cycle: tests/unit/backtest/fastPaths.test.ts holds both to the same result.
   */
  skipQuietCycles?: boolean;
}

/** Why a sell happened, from the rules of its decision. */
function exitReasonOf(decision: RiskDecision | undefined, liquidation: boolean): ExitReason {
  if (liquidation) return 'liquidation';
  return exitReasonOfRules(decision?.rules.map((r) => r.rule) ?? []);
}

/** The strategy a buy decision came from (its levels carry it); the model's signals otherwise. */
function strategyOf(decision: RiskDecision | undefined, fallback: string): string {
  return decision?.levels?.strategy ?? fallback;
}

const DAY_MS = 86_400_000;

/**
 * tradingDay (domain/ledger.ts) with the last answer kept: its date string depends only on the whole UTC day
 * `ms - offsetMs` falls in (a JS day is exactly 86,400,000 ms), so within one day the string is reused instead of
 * formatting a Date on every cycle.
 */
function tradingDayOf(offsetMs: number): (ms: number) => string {
  let dayNo = NaN;
  let day = '';
  return (ms) => {
    const n = Math.floor((ms - offsetMs) / DAY_MS);
    if (n !== dayNo) {
      dayNo = n;
      day = tradingDay(ms, offsetMs);
    }
    return day;
  };
}

export async function runEngine(data: BacktestData, settings: EngineSettings): Promise<BacktestResult> {
  const { config } = settings;
  const limits = config.risk;
  const keepDecisions = settings.keepDecisions ?? true;
  const defaultStrategy = settings.signals ? 'model' : 'none';
  const dayOf = tradingDayOf(limits.tradingDayOffsetMs);
  let lastRecord: CycleRecord | undefined;
  const fx: BacktestEffects = createBacktestEffects({
    data, market: config.market, verdicts: settings.verdicts, reviewer: settings.reviewer, signals: settings.signals, record: (r) => (lastRecord = r),
    ...(settings.askLlm && { askLlm: settings.askLlm }), ...(settings.exchangeFees && { exchangeFees: settings.exchangeFees }),
  });

  /** The portfolio's bookkeeping between cycles, stepped by the portfolio workflow's own pure step (domain/portfolioStep.ts). */
  let ledger: PortfolioLedger = { book: newBook(config.initialCash, data.timeline[0] ?? data.from), cursor: { time: null }, lastPrices: {}, cooldowns: {} };

  const trips = new RoundTripBook();
  const refusals = new RefusalTally();
  const llm = new VerdictTally();
  const fills: BacktestFill[] = [];
  const decisions: DecisionLogEntry[] = [];
  const start = data.timeline[0] ?? data.from;
  const equityCurve: EquityPoint[] = [{ time: start, equity: config.initialCash, cash: config.initialCash, positions: 0 }];
  let cycles = 0;

  /** Books a cycle's (or a liquidation's) fills, as the ledger booked them, into the fill list and round trips. */
  const followTrades = (trades: CycleTrade[], record: CycleRecord | undefined, liquidation: boolean) => {
    for (const t of trades) {
      const decision = record?.decisions.find((d) => d.symbol === t.symbol && d.side === t.side && d.approved);
      const quantity = t.quantity ?? t.notional / t.price;
      const fee = t.fee ?? 0;
      const time = t.time ?? fx.now();
      const reason = t.side === 'sell' ? exitReasonOf(decision, liquidation) : 'entry';
      const strategy = t.side === 'buy'
        ? ledger.book.positions[t.symbol]?.strategy ?? strategyOf(decision, defaultStrategy)
        : trips.strategyOf(t.symbol) ?? defaultStrategy;
      fills.push({ time, symbol: t.symbol, side: t.side, price: t.price, quantity, fee, intent: reason, strategy, clientOrderId: t.clientOrderId ?? '' });
      if (t.side === 'buy') trips.buy(t.symbol, strategy, time, t.price, quantity, fee);
      else trips.sell(t.symbol, time, t.price, quantity, fee, t.realizedPnl, reason);
    }
    for (const symbol of new Set(trades.map((t) => t.symbol))) trips.settle(symbol, Boolean(ledger.book.positions[symbol]));
  };

  /**
   * What the portfolio workflow does on a drawdown halt (workflows/portfolio.ts, its liquidation child): every
   * resting order cancelled, then every position sold when risk.liquidateOnDrawdown says so (domain/liquidation.ts).
   */
  const liquidate = async (time: number, now: number, cycleNo: number, sell: boolean) => {
    const { cursor } = ledger;
    const venue = { mode: config.mode, market: config.market, timeframe: config.timeframe, cursor, paper: config.paper };
    for (const order of ledger.openOrders ?? []) {
      const update = await fx.cancelOrder({ ...venue, clientOrderId: order.request.clientOrderId, knownFillCount: order.bookedFills });
      // The workflow books such fills at its next reconciliation; here there can be none: the cycle that just ran
      // polled every order up to this candle, and an order placed in it can only fill on later candles.
      if (update.newFills.length > 0) throw new Error(`backtest: order ${order.request.clientOrderId} filled between its poll and the liquidation's cancel`);
    }
    ledger = { ...ledger, openOrders: [] };
    if (!sell) return;
    const id = `backtest-${config.portfolioId}-liquidation-${cycleNo}`;
    const { book, lastPrices } = ledger;
    const sold = await sellPositions(book, Object.values(book.positions), { id, portfolioId: config.portfolioId, config, cursor, prices: lastPrices }, fx.placeOrder, fx.describeFailure);
    ledger = { ...ledger, book: sold.book, ...afterTrades(ledger, sold.trades, dayOf(now)) };
    followTrades(sold.trades, undefined, true);
    if (sold.errors.length > 0) decisions.push({ time, cycleNo, decisions: [], error: `liquidation left positions open: ${sold.errors.join('; ')}` });
  };

  const skipQuiet = settings.skipQuietCycles ?? true;
  const noSignals = {};
  /**
   * Whether the cycle at `time` would decide nothing, so that running it would only mark a flat book: nothing held,
   * no order resting, no model signals (they make intents of their own), no daily loss limit breached (a flat cycle
   * would record it), and the strategy engine (the cycle's own call, with the view runCycle gives a flat book)
   * neither proposes nor weighs anything. When in doubt it says no, and the whole cycle runs.
   *
   * Why it exists: many candles of a backtest are like this (about half of an SMA crossover's), and a whole cycle
   * costs several times this check (`npm run bench:backtest` prints the run with it off). runCycle on such a cycle
   * returns the book unchanged, no orders or trades, and the closes of the traded symbols present; the engine books
   * exactly that below.
   */
  const quietCycle = (time: number): boolean => {
    const { book } = ledger;
    if (!skipQuiet || settings.signals || (ledger.openOrders?.length ?? 0) > 0 || !isFlat(book)) return false;
    if (dailyLossBreached(book, book.cash, limits)) return false;
    if (!config.strategies) return true;
    const outcome = fx.proposeStrategies({
      snapshots: [], timeframe: config.timeframe, time, config: config.strategies,
      portfolio: { positions: book.positions, equity: book.cash, cash: book.cash }, signals: noSignals,
    });
    return outcome.proposals.length === 0 && outcome.considered.length === 0;
  };

  /** The portfolio's step after a cycle (or a quiet candle); its actions are the caller's to take, after its records. */
  const step = (outcome: CycleOutcome, now: number, today: string): PortfolioAction[] => {
    const stepped = portfolioStep(ledger, outcome, { now, today, limits, sideCooldowns: true });
    ledger = stepped.state;
    return stepped.actions;
  };
  /** A drawdown halt, and its liquidation; a cooldown ends on market time (above), not on a timer. */
  const act = async (actions: PortfolioAction[], time: number, now: number, cycleNo: number) => {
    for (const action of actions) {
      if (action.kind !== 'drawdown-halt') continue;
      ledger = { ...ledger, halt: action.halt };
      await liquidate(time, now, cycleNo, action.sellPositions);
    }
  };

  for (let cycleNo = 1; ; cycleNo++) {
    const time = fx.nextTime(ledger.cursor.time);
    if (time === null) break;
    const now = time + data.timeframeMs;
    fx.setNow(now);
    const { cooldowns } = ledger;
    for (const key in cooldowns) if ((cooldowns[key] as Cooldown).until <= now) delete cooldowns[key];
    const today = dayOf(now);
    // rollDay returns the book as it is within its day: it (and the equity it takes) is only needed on a new day.
    if (ledger.book.day !== today) ledger = { ...ledger, book: rollDay(ledger.book, now, equity(ledger.book, ledger.lastPrices), limits.tradingDayOffsetMs) };
    lastRecord = undefined;

    if (quietCycle(time)) {
      // What runCycle returns for such a candle: the book as it is, the closes of the symbols present, nothing traded.
      cycles += 1;
      const { book } = ledger;
      const closes: Record<string, number> = {};
      fx.closesAt(time, config.symbols, closes);
      const quiet: CycleOutcome = {
        status: 'completed', book, nextCursor: { time }, prices: closes, equity: book.cash, orders: [], tradedSymbols: [], trades: [], dailyLossLimitHit: false,
      };
      await act(step(quiet, now, today), time, now, cycleNo); // nothing held, nothing resting: a halt has nothing to liquidate
      equityCurve.push({ time: now, equity: book.cash, cash: book.cash, positions: 0 });
      continue;
    }

    fx.cycleId = `backtest-${config.portfolioId}-cycle-${cycleNo}`;
    const outcome = await runCycle(cycleInputOf(ledger, { portfolioId: config.portfolioId, cycleNo, config, today }), fx);
    if (outcome.status === 'exhausted') break;
    cycles += 1;
    const trades = outcome.trades ?? [];
    const record = lastRecord as CycleRecord | undefined;
    const actions = step(outcome, now, today);
    if (trades.length > 0) followTrades(trades, record, false);
    if (record) {
      refusals.add(record.decisions, record.strategies?.considered);
      for (const v of record.verdicts) llm.count(v);
    }
    if (keepDecisions && record && (record.decisions.length > 0 || record.error)) {
      decisions.push({ time, cycleNo, decisions: record.decisions, ...(record.error && { error: record.error }) });
    }
    await act(actions, time, now, cycleNo);
    const { book } = ledger;
    equityCurve.push({ time: now, equity: equity(book, ledger.lastPrices), cash: book.cash, positions: Object.keys(book.positions).length });
  }

  const { book, lastPrices } = ledger;
  const end = equityCurve[equityCurve.length - 1].time;
  const trades = trips.closed;
  const openTrades = trips.openTrades(book.positions, lastPrices);
  // Dust is no exposure: an open trade counts until what is left of it became dust.
  const openIntervals = openTrades.map((t) => ({ strategy: t.strategy, symbol: t.symbol, interval: [t.entryTime, Math.min(end, t.dustSince ?? end)] as const }));
  const finalEquity = equity(book, lastPrices);
  const invested = equityCurve.slice(1).map((p) => (p.equity > 0 ? (p.equity - p.cash) / p.equity : 0));
  return {
    settings: settings.settings ?? {},
    from: data.from,
    to: data.to,
    initialCash: config.initialCash,
    finalEquity,
    cycles,
    trades,
    openTrades,
    fills,
    decisions,
    equityCurve,
    metrics: computeMetrics({ initial: config.initialCash, curve: equityCurve, start, end, trades, openIntervals: openIntervals.map((o) => o.interval) }),
    byStrategy: groupMetrics(config.initialCash, start, end, trades, (t) => t.strategy, openIntervals.map((o) => ({ key: o.strategy, interval: o.interval }))),
    bySymbol: groupMetrics(config.initialCash, start, end, trades, (t) => t.symbol, openIntervals.map((o) => ({ key: o.symbol, interval: o.interval }))),
    capitalExposure: invested.length > 0 ? invested.reduce((a, b) => a + b, 0) / invested.length : 0,
    finalPositions: finalPositions(book, lastPrices),
    ...withWarnings(coverageOf(data), settings.warnings ?? []),
    refusals: refusals.summary(),
    llm: { policy: settings.verdicts, ...llm.summary(), ...(settings.llmCache && { cacheHits: settings.llmCache.hits, cacheStored: settings.llmCache.stored, cacheDir: settings.llmCache.dir }) },
  };
}

/** The book at the end, each position against its own stop. */
function finalPositions(book: PortfolioBook, prices: Record<string, number>): FinalPosition[] {
  return Object.values(book.positions).map((p) => {
    const markPrice = prices[p.symbol] ?? p.avgPrice;
    const stop = p.protection ? effectiveStop(p.protection).level : undefined;
    return {
      symbol: p.symbol, quantity: p.quantity, markPrice, value: p.quantity * markPrice, belowStop: stop !== undefined && markPrice < stop,
      ...(stop !== undefined && { stop }), ...(p.protection?.pending && { pendingExit: `${p.protection.pending.rule}: ${p.protection.pending.detail}` }),
      ...(p.dust && { dust: p.dust.reason }),
    };
  });
}

function withWarnings<T extends { warnings: string[] }>(x: T, first: string[]): T {
  return { ...x, warnings: [...first, ...x.warnings] };
}

/** What each symbol's data covers inside the range, and a warning for each end of the range the data does not reach. */
function coverageOf(data: BacktestData): { coverage: Record<string, Coverage>; warnings: string[] } {
  const coverage: Record<string, Coverage> = {};
  const warnings: string[] = [];
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  for (const symbol of data.symbols) {
    const inRange = data.series[symbol].filter((c) => c[0] >= data.from && c[0] < data.to);
    if (inRange.length === 0) continue;
    const first = inRange[0][0];
    const last = inRange[inRange.length - 1][0];
    coverage[symbol] = { first, last, candles: inRange.length };
    if (first - data.from >= data.timeframeMs) warnings.push(`${symbol}: the data starts at ${iso(first)}, after --from ${iso(data.from)}`);
    if (data.to - (last + data.timeframeMs) >= data.timeframeMs) warnings.push(`${symbol}: the data ends at ${iso(last + data.timeframeMs)}, before --to ${iso(data.to)}`);
  }
  return { coverage, warnings };
}
