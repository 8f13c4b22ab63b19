/**
 * Market regime and circuit breaker per symbol, as columns over the base candles.
 *
 * Regime, read from closed bars of the regime timeframe:
 * - high-volatility: the realised volatility (sd of log returns over volWindow bars) ranks at or above the
 *   highVolPercentile of its own last volRankWindow values;
 * - trending: a least-squares line through the last trendWindow log closes explains at least trendMinR2 of their
 *   variance and moves at least trendMinMove across the window;
 * - ranging: neither.
 *
 * Breaker, from the last 24 hours of base candles and the volatility ratio (short over long window):
 * - PANIC: a fall of panicDrop24h or more, or a volatility spike of panicVolRatio while falling: no new entries;
 * - EUPHORIA: a rise of euphoriaRise24h or more, or RSI at euphoriaRsi or above: no buys by chasing strategies;
 * - CAUTION: a fall of cautionDrop24h or more, or a volatility ratio of cautionVolRatio: smaller allocations;
 * - NORMAL otherwise.
 */
import { timeframeToMs } from '../candles';
import { rsi } from '../indicators/rsiAndTrueRange';
import { nanColumn, rolling, rollingSd, windowLinearFit, type Column } from '../indicators/series';
import { logReturns, percentileRank } from '../indicators/trend';
import { atLastClosed, resampleBars, type TimeframeView } from './bars';
import type { Regime, StrategyConfig } from './config';
import type { SymbolMarket } from './strategy';
import type { Bars } from './types';

export const BREAKER_STATES = ['NORMAL', 'CAUTION', 'EUPHORIA', 'PANIC'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** Regime and breaker inputs per base index. */
export interface RegimeColumns {
  trendMove: Column;
  trendR2: Column;
  volPercentile: Column;
  volRatio: Column;
  rsi: Column;
  change24h: Column;
}

export interface RegimeReading {
  /** null while the regime's windows are not full yet (or the detector is off). */
  regime: Regime | null;
  breaker: BreakerState;
  /** Log move of the fitted trend line across the trend window. */
  trendMove: number;
  trendR2: number;
  volPercentile: number;
  volRatio: number;
  rsi: number;
  change24h: number;
}

const DAY_MS = 86_400_000;

/** The regime timeframe's view, or the base itself when the regime timeframe is not longer than the base. */
export function regimeView(market: SymbolMarket, config: StrategyConfig): TimeframeView {
  const tf = config.regime.timeframe;
  if (timeframeToMs(tf) <= market.base.ms) return resampleBars(market.base, market.base.timeframe);
  return market.frames[tf] ?? resampleBars(market.base, tf);
}

export const candlesPer24h = (base: Bars): number => Math.max(1, Math.round(DAY_MS / base.ms));

export function prepareRegime(market: SymbolMarket, config: StrategyConfig): RegimeColumns {
  const { regime: r, breaker: b } = config;
  const view = regimeView(market, config);
  const close = view.bars.close;
  const logClose = Float64Array.from(close, Math.log);
  const fits = rolling(close.length, r.trendWindow, (s, e) => {
    const { slope } = windowLinearFit(logClose, s, e);
    return slope * (e - s);
  });
  const r2 = rolling(close.length, r.trendWindow, (s, e) => windowLinearFit(logClose, s, e).r2);
  const returns = logReturns(close);
  const vol = rollingSd(returns, r.volWindow);
  const shortVol = rollingSd(returns, b.shortVolWindow);
  const longVol = rollingSd(returns, r.volRankWindow);
  const ratio = nanColumn(close.length);
  for (let k = 0; k < close.length; k++) ratio[k] = longVol[k] === 0 ? 1 : shortVol[k] / longVol[k];

  const base = market.base;
  const n24 = candlesPer24h(base);
  const change24h = nanColumn(base.close.length);
  for (let i = n24; i < base.close.length; i++) change24h[i] = base.close[i] / base.close[i - n24] - 1;
  return {
    trendMove: atLastClosed(view, fits),
    trendR2: atLastClosed(view, r2),
    volPercentile: atLastClosed(view, percentileRank(vol, r.volRankWindow)),
    volRatio: atLastClosed(view, ratio),
    rsi: atLastClosed(view, rsi(close, b.rsiPeriod)),
    change24h,
  };
}

/** Base candles the regime and breaker need before their values are final. */
export function regimeWarmup(config: StrategyConfig, baseTimeframe: string): number {
  const { regime: r, breaker: b } = config;
  const baseMs = timeframeToMs(baseTimeframe);
  const regimeMs = Math.max(baseMs, timeframeToMs(r.timeframe));
  const ratio = regimeMs / baseMs;
  // Returns start one bar in; the volatility rank needs volRankWindow volatilities of volWindow returns each.
  const bars = Math.max(r.trendWindow, r.volRankWindow + r.volWindow, r.volRankWindow + 1, b.shortVolWindow + 1, b.rsiPeriod + 1);
  // A partly seen higher bar is NaN, and the newest closed bar may be up to one bar old.
  const regimeCandles = ratio === 1 ? bars : (bars + 2) * ratio;
  return Math.max(regimeCandles, Math.max(1, Math.round(DAY_MS / baseMs)) + 1);
}

export function readRegime(c: RegimeColumns, i: number, config: StrategyConfig): RegimeReading {
  const reading = {
    trendMove: c.trendMove[i], trendR2: c.trendR2[i], volPercentile: c.volPercentile[i], volRatio: c.volRatio[i],
    rsi: c.rsi[i], change24h: c.change24h[i],
  };
  return { regime: classifyRegime(reading, config), breaker: breakerState(reading, config), ...reading };
}

type Metrics = Omit<RegimeReading, 'regime' | 'breaker'>;

export function classifyRegime(m: Metrics, config: StrategyConfig): Regime | null {
  const r = config.regime;
  if (!r.enabled || [m.trendMove, m.trendR2, m.volPercentile].some(Number.isNaN)) return null;
  if (m.volPercentile >= r.highVolPercentile) return 'high-volatility';
  if (m.trendR2 >= r.trendMinR2 && Math.abs(m.trendMove) >= r.trendMinMove) return 'trending';
  return 'ranging';
}

export function breakerState(m: Metrics, config: StrategyConfig): BreakerState {
  const b = config.breaker;
  if (!b.enabled) return 'NORMAL';
  if (m.change24h <= -b.panicDrop24h || (m.volRatio >= b.panicVolRatio && m.change24h < 0)) return 'PANIC';
  if (m.change24h >= b.euphoriaRise24h || m.rsi >= b.euphoriaRsi) return 'EUPHORIA';
  if (m.change24h <= -b.cautionDrop24h || m.volRatio >= b.cautionVolRatio) return 'CAUTION';
  return 'NORMAL';
}
