/**
 * Candles as bars of a named timeframe, and higher timeframes resampled from them (domain/indicators/ohlcv.ts, the
 * same bars the model's features read). A higher-timeframe bar is visible at a base candle only once it has closed:
 * `lastClosed[i]` maps each base index to the newest bar closed by the end of base candle i.
 */
import { timeframeToMs } from '../candles';
import { atLastClosedBar, ohlcvColumns, resampleOhlcv } from '../indicators/ohlcv';
import type { Candle } from '../types';
import type { Bars } from './types';

export function candlesToBars(candles: Candle[], timeframe: string): Bars {
  return { timeframe, ms: timeframeToMs(timeframe), ...ohlcvColumns(candles) };
}

/** A higher timeframe seen from the base candles. */
export interface TimeframeView {
  bars: Bars;
  /** Per base index: the newest higher-timeframe bar closed by the end of that base candle, -1 when none. */
  lastClosed: Int32Array;
}

/**
 * Resamples base bars into `timeframe` bars aligned to the UTC epoch (4h bars open at 00:00, 04:00, ... UTC).
 * A bar that begins before the first base candle is incomplete: its values are NaN, so that indicators over it
 * are NaN too and a series cut at another point cannot yield a different number.
 */
export function resampleBars(base: Bars, timeframe: string): TimeframeView {
  const ms = timeframeToMs(timeframe);
  if (ms === base.ms) return { bars: base, lastClosed: Int32Array.from({ length: base.time.length }, (_, i) => i) };
  if (!(ms > base.ms) || ms % base.ms !== 0) {
    throw new Error(`cannot resample ${base.timeframe} candles into ${timeframe} bars: ${timeframe} must be a whole multiple of ${base.timeframe}`);
  }
  const { barOfRow: _, lastClosedBar, ...columns } = resampleOhlcv(base, ms, base.ms);
  return { bars: { timeframe, ms, ...columns }, lastClosed: lastClosedBar };
}

/** A bar-level column read at each base index's newest closed bar (NaN before the first one closes). */
export function atLastClosed(view: TimeframeView, barValues: Float64Array): Float64Array {
  return atLastClosedBar(view.lastClosed, barValues);
}

/** Index of the bar opening at `time`, -1 when there is none (binary search: times are ascending). */
export function indexAtTime(bars: Bars, time: number): number {
  let lo = 0;
  let hi = bars.time.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = bars.time[mid];
    if (t === time) return mid;
    if (t < time) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** How many base candles one `timeframe` bar spans (1 when it is the base timeframe). */
export function candlesPerBar(timeframe: string, baseTimeframe: string): number {
  const ms = timeframeToMs(timeframe);
  const baseMs = timeframeToMs(baseTimeframe);
  if (ms < baseMs || ms % baseMs !== 0) {
    throw new Error(`timeframe ${timeframe} is not a whole multiple of the base timeframe ${baseTimeframe}`);
  }
  return ms / baseMs;
}
