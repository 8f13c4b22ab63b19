/**
 * The entry points the trading cycle and the backtester share: prepareMarket computes every column once per
 * symbol; proposeAt reads them at one candle and lets the manager pick at most one proposal per symbol.
 */
import { timeframeToMs } from '../candles';
import { rollingMean } from '../indicators/series';
import type { Candle, Signal } from '../types';
import { atLastClosed, candlesPerBar, candlesToBars, indexAtTime, resampleBars, type TimeframeView } from './bars';
import { enabledStrategies, type StrategyConfig, type StrategyName } from './config';
import { resolveSymbol, type AllocationContext, type ConsideredProposal } from './manager';
import { price } from './proposalMath';
import {
  BREAKER_STATES, prepareRegime, readRegime, regimeWarmup, type BreakerState, type RegimeColumns, type RegimeReading,
} from './regime';
import { STRATEGIES } from './registry';
import type { DecisionCosts, StrategyColumns, SymbolMarket } from './strategy';
import type { StrategyPosition, StrategyProposal } from './types';

interface ConsensusColumns {
  timeframe: string;
  close: Float64Array;
  sma: Float64Array;
}

export interface PreparedSymbol {
  market: SymbolMarket;
  columns: Partial<Record<StrategyName, StrategyColumns>>;
  /** null when both the regime detector and the breaker are off. */
  regime: RegimeColumns | null;
  consensus: ConsensusColumns[];
}

export interface PreparedMarket {
  baseTimeframe: string;
  /** Index at which decisions become valid (warmupCandles - 1). */
  firstValidIndex: number;
  symbols: Record<string, PreparedSymbol>;
}

export interface PortfolioView {
  positions: Record<string, StrategyPosition>;
  equity: number;
  cash: number;
}

export interface StrategyOutcome {
  /** Open time of the decision candle. */
  time: number;
  /** At most one per symbol, after regime, breaker, consensus, ML, allocation and conflict resolution. */
  proposals: StrategyProposal[];
  /** Every raw proposal with whether it was chosen and why (for the decision record). */
  considered: ConsideredProposal[];
  /** Per symbol with a candle at `time`. */
  regime: Record<string, RegimeReading>;
  breaker: { market: BreakerState; bySymbol: Record<string, BreakerState> };
}

/** Higher timeframes the configuration reads (the regime's when longer than the base, the consensus's). */
function framesNeeded(config: StrategyConfig, baseTimeframe: string): string[] {
  const baseMs = timeframeToMs(baseTimeframe);
  const frames = new Set<string>();
  if ((config.regime.enabled || config.breaker.enabled) && timeframeToMs(config.regime.timeframe) > baseMs) frames.add(config.regime.timeframe);
  if (config.consensus.enabled) for (const tf of config.consensus.timeframes) frames.add(tf);
  return [...frames];
}

/**
 * Base candles the live cycle must hold, the newest being the decision candle, for its decisions to equal the
 * backtest's: the longest window any enabled strategy, the regime, the breaker or the consensus reads.
 */
export function warmupCandles(config: StrategyConfig, baseTimeframe: string): number {
  const baseMs = timeframeToMs(baseTimeframe);
  let need = 2;
  for (const name of enabledStrategies(config)) {
    need = Math.max(need, (STRATEGIES[name].warmup as (p: unknown, ms: number) => number)(config[name], baseMs));
  }
  if (config.regime.enabled || config.breaker.enabled) need = Math.max(need, regimeWarmup(config, baseTimeframe));
  if (config.consensus.enabled) {
    for (const tf of config.consensus.timeframes) {
      const ratio = candlesPerBar(tf, baseTimeframe);
      need = Math.max(need, ratio === 1 ? config.consensus.smaPeriod : (config.consensus.smaPeriod + 2) * ratio);
    }
  }
  return need;
}

export function prepareSymbol(symbol: string, candles: Candle[], baseTimeframe: string, config: StrategyConfig): PreparedSymbol {
  const base = candlesToBars(candles, baseTimeframe);
  const frames: Record<string, TimeframeView> = {};
  for (const tf of framesNeeded(config, baseTimeframe)) frames[tf] = resampleBars(base, tf);
  const market: SymbolMarket = { symbol, base, frames };
  const columns: Partial<Record<StrategyName, StrategyColumns>> = {};
  for (const name of enabledStrategies(config)) {
    columns[name] = (STRATEGIES[name].prepare as (m: SymbolMarket, p: unknown) => StrategyColumns)(market, config[name]);
  }
  const consensus = config.consensus.enabled
    ? config.consensus.timeframes.map((tf) => {
      const view = frames[tf];
      return {
        timeframe: tf,
        close: atLastClosed(view, view.bars.close),
        sma: atLastClosed(view, rollingMean(view.bars.close, config.consensus.smaPeriod)),
      };
    })
    : [];
  const regime = config.regime.enabled || config.breaker.enabled ? prepareRegime(market, config) : null;
  return { market, columns, regime, consensus };
}

export function prepareMarket(candlesBySymbol: Record<string, Candle[]>, baseTimeframe: string, config: StrategyConfig): PreparedMarket {
  const symbols: Record<string, PreparedSymbol> = {};
  for (const symbol of Object.keys(candlesBySymbol).sort()) {
    symbols[symbol] = prepareSymbol(symbol, candlesBySymbol[symbol], baseTimeframe, config);
  }
  return { baseTimeframe, firstValidIndex: warmupCandles(config, baseTimeframe) - 1, symbols };
}

/** The reading of a symbol whose regime detector is off: one shared object (never mutated; a market panic replaces it). */
const UNKNOWN_NORMAL: RegimeReading = Object.freeze({
  regime: null, breaker: 'NORMAL', trendMove: NaN, trendR2: NaN, volPercentile: NaN, volRatio: NaN, rsi: NaN, change24h: NaN,
});

function consensusAt(s: PreparedSymbol, i: number): { ok: boolean; note: string } {
  const notes: string[] = [];
  let ok = true;
  for (const c of s.consensus) {
    const agrees = c.close[i] > c.sma[i];
    if (!agrees) ok = false;
    notes.push(`${c.timeframe} close ${price(c.close[i])} ${agrees ? '>' : '<='} SMA ${price(c.sma[i])}`);
  }
  return { ok, note: notes.join(', ') };
}

const isHeld = (p: StrategyPosition | undefined): p is StrategyPosition => p !== undefined && p.quantity > 0 && p.dust === undefined;

function heldByStrategy(market: PreparedMarket, time: number, positions: Record<string, StrategyPosition>): AllocationContext['heldByStrategy'] {
  const held: AllocationContext['heldByStrategy'] = {};
  for (const symbol in positions) {
    const p = positions[symbol];
    if (!isHeld(p) || p.strategy === undefined) continue;
    const s = market.symbols[symbol];
    const i = s ? indexAtTime(s.market.base, time) : -1;
    const mark = i >= 0 ? s.market.base.close[i] : p.avgPrice;
    const name = p.strategy as StrategyName;
    held[name] = (held[name] ?? 0) + p.quantity * mark;
  }
  return held;
}

/**
 * Proposals at the candle opening at `time` (the newest closed candle). A symbol without a candle then, or before
 * its warmup, gets none. A held position is offered only sells, by the strategy that opened it (by every enabled
 * strategy when that one is unknown or disabled); a symbol without a position is offered only buys.
 */
export function proposeAt(
  market: PreparedMarket,
  time: number,
  portfolio: PortfolioView,
  config: StrategyConfig,
  signals?: Record<string, Signal>,
): StrategyOutcome {
  const costs = costsOf(config);
  const enabled = enabledStrategies(config);
  const at: { symbol: string; s: PreparedSymbol; i: number; reading: RegimeReading }[] = [];
  for (const symbol in market.symbols) {
    const s = market.symbols[symbol];
    const i = indexAtTime(s.market.base, time);
    if (i < market.firstValidIndex || i < 0) continue;
    const reading = s.regime ? readRegime(s.regime, i, config) : UNKNOWN_NORMAL;
    at.push({ symbol, s, i, reading });
  }
  let panics = 0;
  for (const a of at) if (a.reading.breaker === 'PANIC') panics++;
  const marketPanic = config.breaker.enabled && at.length > 0 && panics / at.length >= config.breaker.marketPanicShare;
  const bySymbol: Record<string, BreakerState> = {};
  let marketState: BreakerState = 'NORMAL';
  for (const a of at) {
    if (marketPanic) a.reading = { ...a.reading, breaker: 'PANIC' };
    bySymbol[a.symbol] = a.reading.breaker;
    if (BREAKER_STATES.indexOf(a.reading.breaker) > BREAKER_STATES.indexOf(marketState) && (a.reading.breaker !== 'PANIC' || marketPanic)) {
      marketState = a.reading.breaker;
    }
  }

  const alloc: AllocationContext = { equity: portfolio.equity, heldByStrategy: heldByStrategy(market, time, portfolio.positions) };
  const outcome: StrategyOutcome = { time, proposals: [], considered: [], regime: {}, breaker: { market: marketState, bySymbol } };
  for (const { symbol, s, i, reading } of at) {
    outcome.regime[symbol] = reading;
    const position = portfolio.positions[symbol];
    const held = isHeld(position);
    const exitBy = held && position.strategy !== undefined && enabled.includes(position.strategy as StrategyName)
      ? [position.strategy as StrategyName]
      : enabled;
    const raw: StrategyProposal[] = [];
    for (const name of held ? exitBy : enabled) {
      const strategy = STRATEGIES[name] as (typeof STRATEGIES)['smaCross'];
      const params = config[name] as StrategyConfig['smaCross'];
      const columns = s.columns[name] as StrategyColumns;
      const decision = held
        ? strategy.exit(i, columns, params, s.market, position, costs)
        : strategy.entry(i, columns, params, s.market, costs);
      if (decision) raw.push({ strategy: name, symbol, ...decision });
    }
    if (raw.length === 0) continue;
    const consensus = held ? { ok: true, note: '' } : consensusAt(s, i);
    const { chosen, considered } = resolveSymbol(raw, held, {
      reading, consensus: consensus.ok, consensusNote: consensus.note, signal: usableSignal(signals?.[symbol], time),
    }, alloc, config);
    if (chosen) outcome.proposals.push(chosen);
    outcome.considered.push(...considered);
  }
  return outcome;
}

/** Kept per (immutable, validated) configuration, as proposeAt runs on every candle of a backtest. */
const COSTS = new WeakMap<StrategyConfig, DecisionCosts>();
function costsOf(config: StrategyConfig): DecisionCosts {
  let costs = COSTS.get(config);
  if (!costs) COSTS.set(config, (costs = { costRate: config.costRate, maxEdge: config.maxEdge }));
  return costs;
}

/** A signal computed after the decision candle would be lookahead: it is ignored. */
const usableSignal = (signal: Signal | undefined, time: number): Signal | undefined =>
  signal !== undefined && signal.asOf <= time ? signal : undefined;
