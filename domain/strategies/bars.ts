/**
 * Candles as columns, and higher timeframes resampled from them on the UTC epoch grid. A higher-timeframe bar is
 * visible at a base candle only once that bar has closed (no lookahead): `lastClosed[i]` maps each base index to
 * the newest bar closed by the end of base candle i.
 */
import { timeframeToMs } from '../candles';
import type { Candle } from '../types';
import type { Bars } from './types';

export function candlesToBars(candles: Candle[], timeframe: string): Bars {
  const n = candles.length;
  const bars: Bars = {
    timeframe,
    ms: timeframeToMs(timeframe),
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const c = candles[i];
    bars.time[i] = c[0];
    bars.open[i] = c[1];
    bars.high[i] = c[2];
    bars.low[i] = c[3];
    bars.close[i] = c[4];
    bars.volume[i] = c[5];
  }
  return bars;
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
  const n = base.time.length;
  const time: number[] = [];
  const open: number[] = [];
  const high: number[] = [];
  const low: number[] = [];
  const close: number[] = [];
  const volume: number[] = [];
  const lastClosed = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const bucket = Math.floor(base.time[i] / ms) * ms;
    let b = time.length - 1;
    if (b < 0 || time[b] !== bucket) {
      time.push(bucket);
      open.push(base.open[i]);
      high.push(base.high[i]);
      low.push(base.low[i]);
      close.push(base.close[i]);
      volume.push(base.volume[i]);
      b++;
    } else {
      high[b] = Math.max(high[b], base.high[i]);
      low[b] = Math.min(low[b], base.low[i]);
      close[b] = base.close[i];
      volume[b] += base.volume[i];
    }
    lastClosed[i] = bucket + ms <= base.time[i] + base.ms ? b : b - 1;
  }
  const first = n > 0 ? base.time[0] : 0;
  const column = (values: number[]) => Float64Array.from(values, (v, b) => (time[b] < first ? NaN : v));
  return {
    bars: {
      timeframe, ms, time: Float64Array.from(time), open: column(open), high: column(high), low: column(low), close: column(close), volume: column(volume),
    },
    lastClosed,
  };
}

/** A bar-level column read at each base index's newest closed bar (NaN before the first one closes). */
export function atLastClosed(view: TimeframeView, barValues: Float64Array): Float64Array {
  const out = new Float64Array(view.lastClosed.length).fill(NaN);
  for (let i = 0; i < out.length; i++) {
    const b = view.lastClosed[i];
    if (b >= 0) out[i] = barValues[b];
  }
  return out;
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
