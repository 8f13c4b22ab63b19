/**
 * The trading cycle's effects (domain/cycle/effects.ts) in process, over preloaded candles, for the backtester.
 * The decisions stay runCycle's; only the outside world is replaced, each part by the same pure rules the
 * activities use:
 * - market data: the last `candleLimit` candles of each symbol up to the next candle of the timeline after the
 *   cursor, as the replay market serves them (a symbol without a candle at that time is absent from the cycle);
 * - paper orders: domain/paperOrderRules.ts (the rules of placePaperOrder / pollPaperOrder) at the next
 *   candle's open, with the fee schedule of domain/paperBroker.ts paperFeeSchedule and the market conditions of
 *   domain/paperMatching.ts;
 * - strategies: the strategy engine's prepareMarket once over each symbol's whole series, then proposeAt per cycle
 *   (finite-memory indicators: the same values the cycle's own preparation over its window gives);
 * - risk: the risk activity's rules themselves (domain/risk assessRisk); features and signals: looked up in precomputed columns (on another
 *   timeframe than the model's, the cycle's fetch of the model's 1h candles is served from the series the rows were
 *   computed on: ./modelCandles.ts);
 * - the LLM: a deterministic verdict (approve at full size, or the configured fallback policy's outcome), or the real
 *   model through the LLM activity's function with its answers cached on disk (`ollama`);
 * - reconciliation: always in sync (the paper account is this very book); records go to the engine's log;
 * - market statistics: summarizeMarket's exact values from true ranges and returns computed once per series
 *   (`seriesColumns`), ATRs eight windows at a time (`atrBlock`), and no per-cycle risk report (`reportRisk:
 *   false`: it never feeds a decision). tests/unit/backtest/effects.test.ts holds them to summarizeMarket bit for bit.
 */
import { isFinal } from '../domain/orderLifecycle';
import { CONDITION_WINDOW, marketConditions } from '../domain/paperMatching';
import { unappliedFills } from '../domain/orderLifecycle';
import type { CycleEffects } from '../domain/cycle';
import { ATR_PERIOD, summarizeMarket, type MarketStats } from '../domain/marketStats';
import type { Candle } from '../domain/types';
import type { CycleRecord, FeatureVector, LlmVerdict, MarketSnapshot, OrderRequest, OrderResult, Signal } from '../domain/types';
import { FALLBACK_OUTCOME, type LlmPolicy } from '../domain/config';
import type { Fees } from '../domain/paperBroker';
import { paperCosts, paperFeeSchedule, type PaperTerms } from '../domain/paperBroker';
import { advanceRestingOrder, matchedThrough, placePaperOrderAt } from '../domain/paperOrderRules';
import { describeFailure } from '../domain/failures';
import { assessRisk } from '../domain/risk';
import { indexAfter } from '../domain/seriesWindow';
import { prepareMarket, proposeAt, type PreparedMarket, type StrategyConfig } from '../domain/strategies';
import type { BacktestData } from './data';
import { closedModelCandles } from './modelCandles';

/**
 * The LLM stage: approve every trade at full size, apply the portfolio's fallback policy, or ask the real model at
 * OLLAMA_HOST through the LLM activity's own function (its answers cached on disk: ./llmCache.ts).
 */
export type VerdictPolicy = 'approve' | 'fallback' | 'ollama';

/** Features and model signals computed ahead of the run (backtest/signals.ts); absent without --ml. */
export interface PrecomputedSignals {
  /** The feature vector of the symbol's candle opening at `time`, or why there is none (warm-up, gaps). */
  features(symbol: string, time: number): FeatureVector | Error;
  signal(symbol: string, time: number): Signal | undefined;
  /**
   * On another timeframe than the model's: each symbol's (and the reference market's) model candles, the series the
   * rows were computed on, which the cycle's fetch of the model's candles reads (./modelCandles.ts).
   */
  modelSeries?: Record<string, Candle[]>;
}

export interface EffectsOptions {
  data: BacktestData;
  market: string;
  verdicts: VerdictPolicy;
  signals?: PrecomputedSignals;
  /** Receives every cycle's record (decisions, orders, book). */
  record(record: CycleRecord): void;
  /**
   * `verdicts: 'ollama'`: the LLM activity's own function with its answers cached on disk, given by backtest/index.ts,
   * so that this module (and the engine's bundle, backtest/compiled.ts) holds no LLM client.
   */
  askLlm?: (input: Parameters<CycleEffects['validateTrades']>[0]) => Promise<LlmVerdict[]>;
  /**
   * The maker/taker schedule of an exchange a paper order names (activities/execution/paperFees.ts), given by
   * backtest/index.ts; a backtest's replay market names none, so without it such an order is refused loudly.
   */
  exchangeFees?: (exchangeId: string) => Fees;
  /** Reviews the cycle's proposals in place of `verdicts` (the LLM report's shadow and gated runs), at market time. */
  reviewer?: (input: Parameters<CycleEffects['validateTrades']>[0], now: number) => Promise<LlmVerdict[]>;
  warn?(message: string, attributes?: Record<string, unknown>): void;
}

/** The effects plus what the engine steers: the cycle id and the market clock. */
export interface BacktestEffects extends CycleEffects {
  cycleId: string;
  /** Sets the clock (ms UTC) that now() returns. */
  setNow(time: number): void;
  /** Next timeline time after `time` (null: before the start), or null at the end of the data. */
  nextTime(time: number | null): number | null;
  /**
   * Into `prices`, the close of each of `symbols` that has a candle opening at `time`: the prices a cycle at that
   * time gets from fetchMarketData and summarizeMarket. Returns how many there were.
   */
  closesAt(time: number, symbols: readonly string[], prices: Record<string, number>): number;
}

/**
 * Per candle of a series, the two terms summarizeMarket (domain/marketStats.ts) computes over every cycle's window:
 * the true range against the previous close, and the close-to-close return. Each depends only on a candle and the
 * one before it, so computing them once per series gives the very same doubles (index 0 has no previous: NaN,
 * never read). Kept per series array, so a parameter search over the same loaded candles computes them once.
 */
interface SeriesColumns {
  trueRange: Float64Array;
  /** A plain array (not typed) so a window's returns are one `slice`, the number[] MarketStats holds. */
  returns: number[];
}
/** A local copy: an imported binding is read through a module getter on every use, too slow inside the ATR loop. */
const PERIOD = ATR_PERIOD;
const columnsBySeries = new WeakMap<readonly Candle[], SeriesColumns>();

function seriesColumns(candles: readonly Candle[]): SeriesColumns {
  let columns = columnsBySeries.get(candles);
  if (columns) return columns;
  const trueRange = new Float64Array(candles.length);
  const returns: number[] = new Array(candles.length);
  trueRange[0] = NaN;
  returns[0] = NaN;
  for (let i = 1; i < candles.length; i++) {
    // The expressions of wilderAtr's trueRange and summarizeMarket's return, operand for operand.
    const [, , high, low] = candles[i];
    const prevClose = candles[i - 1][4];
    trueRange[i] = Math.max(high - low, Math.abs(high - prevClose), Math.abs(low - prevClose));
    returns[i] = candles[i][4] / candles[i - 1][4] - 1;
  }
  columnsBySeries.set(candles, (columns = { trueRange, returns }));
  return columns;
}

/**
 * wilderAtr (domain/marketStats.ts) of the window series[start, start + length) from the series' true ranges: the
 * same recursion seeded at the window's start (ATR depends on where the window starts, so it cannot be carried
 * from cycle to cycle), with the same operations in the same order, hence bit-identical.
 */
function windowAtr(trueRange: Float64Array, start: number, length: number): number {
  if (length < PERIOD + 1) return NaN;
  let atr = 0;
  for (let i = 1; i <= PERIOD; i++) atr += trueRange[start + i];
  atr /= PERIOD;
  for (let i = PERIOD + 1; i < length; i++) atr = (atr * (PERIOD - 1) + trueRange[start + i]) / PERIOD;
  return atr;
}

/** How many consecutive windows atrBlock computes together. */
const ATR_BLOCK = 8;

/**
 * windowAtr of the ATR_BLOCK windows of `length` candles ending at end, end + 1, ... (exclusive ends), into
 * out[end + k]. The recursion is a chain of dependent multiply-add-divide steps, so one window at a time waits on
 * the divider at every step; eight independent chains side by side keep it busy. Each chain is still exactly
 * windowAtr's sequence of operations on the same operands, so each value is bit-identical to it.
 */
function atrBlock(trueRange: Float64Array, end: number, length: number, out: Float64Array): void {
  const s = end - length;
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  for (let i = s + 1; i <= s + PERIOD; i++) {
    a0 += trueRange[i]; a1 += trueRange[i + 1]; a2 += trueRange[i + 2]; a3 += trueRange[i + 3];
    a4 += trueRange[i + 4]; a5 += trueRange[i + 5]; a6 += trueRange[i + 6]; a7 += trueRange[i + 7];
  }
  a0 /= PERIOD; a1 /= PERIOD; a2 /= PERIOD; a3 /= PERIOD; a4 /= PERIOD; a5 /= PERIOD; a6 /= PERIOD; a7 /= PERIOD;
  const m = PERIOD - 1;
  for (let i = s + PERIOD + 1; i < end; i++) {
    a0 = (a0 * m + trueRange[i]) / PERIOD; a1 = (a1 * m + trueRange[i + 1]) / PERIOD;
    a2 = (a2 * m + trueRange[i + 2]) / PERIOD; a3 = (a3 * m + trueRange[i + 3]) / PERIOD;
    a4 = (a4 * m + trueRange[i + 4]) / PERIOD; a5 = (a5 * m + trueRange[i + 5]) / PERIOD;
    a6 = (a6 * m + trueRange[i + 6]) / PERIOD; a7 = (a7 * m + trueRange[i + 7]) / PERIOD;
  }
  out[end] = a0; out[end + 1] = a1; out[end + 2] = a2; out[end + 3] = a3;
  out[end + 4] = a4; out[end + 5] = a5; out[end + 6] = a6; out[end + 7] = a7;
}

/**
 * Per run (per effects instance, so a timed run never reads another run's work): the ATR of each full window by
 * its end index, computed ATR_BLOCK windows at a time as cycles ask for them. A window depends only on the data,
 * the cycle's time and candleLimit, never on a decision, so computing the next windows early changes nothing.
 */
type AtrOf = (candles: readonly Candle[], trueRange: Float64Array, start: number, length: number) => number;

function atrCache(): AtrOf {
  const bySeries = new Map<readonly Candle[], Map<number, { atr: Float64Array; have: Uint8Array }>>();
  return (candles, trueRange, start, length) => {
    const end = start + length;
    // A window still growing from the series' first candle changes length every cycle: nothing to share.
    if (start === 0 || length < PERIOD + 1) return windowAtr(trueRange, start, length);
    let byLength = bySeries.get(candles);
    if (!byLength) bySeries.set(candles, (byLength = new Map()));
    let cached = byLength.get(length);
    if (!cached) byLength.set(length, (cached = { atr: new Float64Array(candles.length + 1), have: new Uint8Array(candles.length + 1) }));
    if (cached.have[end]) return cached.atr[end];
    if (end + ATR_BLOCK - 1 > candles.length) return windowAtr(trueRange, start, length);
    atrBlock(trueRange, end, length, cached.atr);
    cached.have.fill(1, end, end + ATR_BLOCK);
    return cached.atr[end];
  };
}

/**
 * summarizeMarket of the window series[start, start + length), from the series' columns. Its ATR and returns are
 * computed when first read: most cycles of a backtest hold a position or stay flat and never read either (ATR arms
 * a new position's stops and sizes a buy; returns feed the correlation check of a buy). A class, not an object
 * literal with accessors, because creating the latter per cycle was slow. Unlike summarizeMarket's plain object,
 * `atr` and `returns` are prototype accessors, not own properties: nothing in a backtest spreads or serializes
 * market statistics (they never leave the process), and tests/unit/backtest/effects.test.ts reads every field.
 */
class WindowStats implements MarketStats {
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly price: number;
  readonly barsPerDay: number;
  readonly #series: readonly Candle[];
  readonly #columns: SeriesColumns;
  readonly #start: number;
  readonly #length: number;
  readonly #maxReturns: number;
  readonly #atrOf: AtrOf;
  #atr: number | undefined;
  #returns: number[] | undefined;

  constructor(
    readonly symbol: string, series: readonly Candle[], columns: SeriesColumns, start: number, length: number, timeframeMs: number, maxReturns: number, atrOf: AtrOf,
  ) {
    const last = series[start + length - 1];
    this.time = last[0];
    this.open = last[1];
    this.high = last[2];
    this.low = last[3];
    this.price = last[4];
    this.barsPerDay = Math.max(1, Math.round(86_400_000 / timeframeMs));
    this.#series = series;
    this.#columns = columns;
    this.#start = start;
    this.#length = length;
    this.#maxReturns = maxReturns;
    this.#atrOf = atrOf;
  }

  get atr(): number {
    return (this.#atr ??= this.#atrOf(this.#series, this.#columns.trueRange, this.#start, this.#length));
  }

  get returns(): number[] {
    const from = Math.max(1, this.#length - this.#maxReturns);
    return (this.#returns ??= this.#columns.returns.slice(this.#start + from, this.#start + this.#length));
  }

  set returns(value: number[]) {
    this.#returns = value;
  }
}


export function createBacktestEffects(options: EffectsOptions): BacktestEffects {
  const { data, market } = options;
  const { series, timeline, timeframeMs } = data;
  let clock = data.from;
  /** Per symbol, the index after the newest candle served so far: time only moves forward, so lookups are O(1). */
  const served: Record<string, number> = {};
  const orders = new Map<string, { request: OrderRequest; result: OrderResult; terms: PaperTerms }>();
  const fees = new Map<string, Fees>();
  /**
   * Per symbol, the window this cycle's snapshot holds: the array served and where it starts in the series. The
   * array is reused from cycle to cycle (one candle out, one in) rather than sliced anew: a slice of candleLimit
   * candles per symbol per cycle was most of the backtest's own garbage. Safe because nothing keeps a snapshot's
   * candles beyond its cycle: runCycle passes them only to summarizeMarket, decisionTime and these effects, and
   * the cycle record holds no snapshot.
   */
  const windows = new Map<string, { candles: Candle[]; start: number; columns: SeriesColumns }>();

  /** series[symbol][start, end), in the symbol's reused window array when it is the last one moved along. */
  const windowOf = (symbol: string, start: number, end: number): Candle[] => {
    const candles = series[symbol];
    const window = windows.get(symbol);
    if (window) {
      const { candles: served, start: from } = window;
      const to = from + served.length;
      if (from === start && to === end) return served; // the same cycle's window fetched again
      if (to === end - 1 && (from === start || from === start - 1)) {
        // The next candle: it comes in, and the oldest goes out once the window is candleLimit long.
        if (from === start - 1) served.shift();
        served.push(candles[end - 1]);
        window.start = start;
        return served;
      }
    }
    const fresh = candles.slice(start, end);
    windows.set(symbol, { candles: fresh, start, columns: seriesColumns(candles) });
    return fresh;
  };
  const atrOf = atrCache();
  const exchangeFees = options.exchangeFees ?? ((exchangeId: string): Fees => {
    throw new Error(`backtest: no fee schedule for exchange '${exchangeId}' (backtest/index.ts gives the exchanges' schedules)`);
  });
  const modelCandles = closedModelCandles(options.signals);
  /** Indicator columns over every symbol's whole series, prepared once per strategy configuration. */
  let prepared: { config: StrategyConfig; market: PreparedMarket } | undefined;

  /** Index after the candle opening at or before `time` (series.length when all do). */
  const endAt = (symbol: string, time: number): number => {
    const candles = series[symbol];
    let i = served[symbol] ?? 0;
    if (i > 0 && candles[i - 1][0] > time) i = indexAfter(candles, time);
    else while (i < candles.length && candles[i][0] <= time) i++;
    served[symbol] = i;
    return i;
  };

  /** endAt when the symbol has a candle opening exactly at `time` (it is in that cycle), else -1 (absent, or not loaded). */
  const endWithCandleAt = (symbol: string, time: number): number => {
    const candles = series[symbol];
    if (!candles) return -1;
    const end = endAt(symbol, time);
    return end > 0 && candles[end - 1][0] === time ? end : -1;
  };

  /** Where the last answer of nextTime was found: the engine asks for the time after it, next. */
  let lastNext = -1;
  const nextTime = (time: number | null): number | null => {
    if (time === null) {
      lastNext = timeline.length > 0 ? 0 : -1;
      return lastNext >= 0 ? timeline[0] : null;
    }
    if (lastNext >= 0 && timeline[lastNext] === time) {
      lastNext = lastNext + 1 < timeline.length ? lastNext + 1 : -1;
      return lastNext >= 0 ? timeline[lastNext] : null;
    }
    let lo = 0;
    let hi = timeline.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (timeline[mid] <= time) lo = mid + 1;
      else hi = mid;
    }
    lastNext = lo < timeline.length ? lo : -1;
    return lastNext >= 0 ? timeline[lastNext] : null;
  };

  const costsFor = (symbol: string, terms: PaperTerms, at: number) => {
    const candles = series[symbol];
    const end = indexAfter(candles, at);
    const key = `${terms.exchangeId ?? ''}|${terms.feeRate}`;
    let schedule = fees.get(key);
    if (!schedule) fees.set(key, (schedule = paperFeeSchedule(terms, market, exchangeFees)));
    return paperCosts(terms, schedule, marketConditions(candles.slice(Math.max(0, end - CONDITION_WINDOW - 1), end)));
  };

  /** The open of the first candle after `time` and its volume; past the end of the file, the last close (as the replay market). */
  const nextPrice = (symbol: string, time: number): { price: number; timestamp: number; volume?: number } => {
    const candles = series[symbol];
    const next = indexAfter(candles, time);
    if (next < candles.length) return { price: candles[next][1], timestamp: candles[next][0], volume: candles[next][5] };
    const last = candles[next - 1];
    return { price: last[4], timestamp: last[0] + timeframeMs };
  };

  const known = (symbol: string) => {
    if (!series[symbol]) throw new Error(`backtest has no candles for ${symbol}`);
  };

  const poll = (clientOrderId: string, cursorTime: number | null, knownFillCount = 0) => {
    const stored = orders.get(clientOrderId);
    if (!stored) throw new Error(`no backtest order with client order id ${clientOrderId}`);
    if (cursorTime === null) throw new Error(`poll of ${clientOrderId} needs the cursor of a fetched cycle`);
    const { request, result, terms } = stored;
    let order = result;
    if (!isFinal(result.status)) {
      const candles = series[request.symbol];
      const after = candles.slice(indexAfter(candles, matchedThrough(result)), indexAfter(candles, cursorTime));
      order = advanceRestingOrder(request, result, after, costsFor(request.symbol, terms, result.placedAt!), cursorTime, timeframeMs);
      stored.result = order;
    }
    return { stored, order, newFills: unappliedFills(order, Math.min(knownFillCount, order.fills.length)) };
  };

  const verdictFor = (symbol: string, policy: LlmPolicy): LlmVerdict => {
    if (options.verdicts === 'approve') {
      return { symbol, approve: true, confidence: 1, reason: 'backtest: every trade approved (no LLM)', model: 'backtest', fallback: false, sizeMultiplier: 1, latencyMs: 0 };
    }
    const outcome = FALLBACK_OUTCOME[policy.fallback];
    return {
      symbol, approve: outcome.approve, confidence: 0, reason: `backtest: fallback policy '${policy.fallback}' applied (no LLM)`, model: policy.model,
      fallback: true, fallbackReason: 'backtest: no LLM', sizeMultiplier: outcome.sizeMultiplier, latencyMs: 0,
    };
  };

  const effects: BacktestEffects = {
    cycleId: '',
    setNow(time) {
      clock = time;
    },
    nextTime,
    closesAt(time, symbols, prices) {
      let present = 0;
      for (const symbol of symbols) {
        const end = endWithCandleAt(symbol, time);
        if (end < 0) continue;
        prices[symbol] = series[symbol][end - 1][4];
        present++;
      }
      return present;
    },
    now: () => clock,
    patched: () => true,
    // The run's metrics are computed from the equity curve and trades; the per-cycle report feeds no decision.
    reportRisk: false,
    summarizeMarket(symbol, candles, timeframeMs, maxReturns) {
      const window = windows.get(symbol);
      // Only a window this effect served is known to be series[start, start + length); anything else is computed as given.
      if (window?.candles !== candles || candles.length === 0) return summarizeMarket(symbol, candles, timeframeMs, maxReturns);
      return new WindowStats(symbol, series[symbol], window.columns, window.start, candles.length, timeframeMs, maxReturns, atrOf);
    },
    warn: (message, attributes) => options.warn?.(message, attributes),
    describeFailure,

    proposeStrategies(input) {
      if (prepared?.config !== input.config) prepared = { config: input.config, market: prepareMarket(series, data.timeframe, input.config) };
      return proposeAt(prepared.market, input.time, input.portfolio, input.config, input.signals);
    },

    fetchMarketData(input) {
      if (input.closedBy !== undefined) return modelCandles(input); // the model's candles at a decision (./modelCandles.ts)
      const time = nextTime(input.cursor.time);
      if (time === null) return { snapshots: [], nextCursor: input.cursor, exhausted: true };
      const snapshots: MarketSnapshot[] = [];
      for (const symbol of input.symbols) {
        // Not loaded (the reference market is only needed for features, precomputed here), or no candle at this
        // time: absent this cycle.
        const end = endWithCandleAt(symbol, time);
        if (end < 0) continue;
        const window = windowOf(symbol, Math.max(0, end - input.limit), end);
        snapshots.push({ symbol, timeframe: input.timeframe, candles: window, source: input.market });
      }
      return { snapshots, nextCursor: { time }, exhausted: false };
    },

    reconcileAccount(input) {
      return { inSync: true, drifts: [], corrected: input.book, snapshot: { venue: 'paper', asOf: clock, balances: {} } };
    },

    computeFeatures(input) {
      if (!options.signals) return [];
      return input.snapshots.map((s) => {
        if (s.candles.length === 0) throw new Error(`${s.symbol}: got 0 candles, features need at least 359 (14 closed daily bars plus the current day)`);
        const vector = options.signals!.features(s.symbol, s.candles[s.candles.length - 1][0]);
        if (vector instanceof Error) throw vector;
        return vector;
      });
    },

    inferSignals(input) {
      if (!options.signals) return [];
      return input.features.flatMap((f) => options.signals!.signal(f.symbol, f.asOf) ?? []);
    },

    async validateTrades(input) {
      if (options.reviewer) return options.reviewer(input, clock);
      if (options.verdicts === 'ollama') {
        if (!options.askLlm) throw new Error("backtest verdicts 'ollama' need askLlm: the LLM activity's function (backtest/index.ts gives it)");
        return options.askLlm(input);
      }
      return input.proposals.map((p) => verdictFor(p.symbol, input.policy));
    },

    // The risk activity's own rules (activities/risk.ts runs the same assessRisk).
    async assessTradeRisk(input) {
      return assessRisk(input.proposals, input.verdicts, input.context);
    },

    async placeOrder(input) {
      const { request } = input;
      known(request.symbol);
      const existing = orders.get(request.clientOrderId);
      if (existing) return { ...existing.result, deduplicated: true };
      const cursorTime = input.cursor.time;
      if (cursorTime === null) throw new Error(`order ${request.clientOrderId} needs the cursor of a fetched cycle`);
      const next = nextPrice(request.symbol, cursorTime);
      const costs = costsFor(request.symbol, input.paper, cursorTime);
      const result = placePaperOrderAt(request, next, input.paper, input.balances, costs, () => cursorTime);
      orders.set(request.clientOrderId, { request, result, terms: input.paper });
      return result;
    },

    async placeProtectiveStop(input) {
      // Paper stops rest in the paper broker, as the execution activity does for paper portfolios.
      if (input.request.type !== 'stop') throw new Error(`placeProtectiveStop needs a stop request, got type ${input.request.type}`);
      return { emulated: false, kind: 'paper', order: await effects.placeOrder(input) };
    },

    async pollOrder(input) {
      const { order, newFills } = poll(input.clientOrderId, input.cursor.time, input.knownFillCount);
      return { order, newFills };
    },

    async cancelOrder(input) {
      const { stored, order } = poll(input.clientOrderId, input.cursor.time, input.knownFillCount);
      const final = isFinal(order.status) ? order : { ...order, status: 'cancelled' as const };
      stored.result = final;
      return { order: final, newFills: unappliedFills(final, Math.min(input.knownFillCount ?? 0, final.fills.length)) };
    },

    recordCycle(record) {
      options.record(record);
      return { cycleId: record.cycleId };
    },

    scoreMatureSignals() {
      return { scored: 0, unscorable: 0, unknownVersions: [] };
    },
  };
  return effects;
}
