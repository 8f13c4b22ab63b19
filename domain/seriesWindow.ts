/**
 * Cursor arithmetic over oldest-first candle series, shared by replay and sim.
 */
import type { Candle } from './types';

/** Index of the first candle opening after `time` (series.length when none does). */
export function indexAfter(series: readonly Candle[], time: number): number {
  let lo = 0;
  let hi = series.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (series[mid][0] <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The last `limit` candles opening at or before `time`, copied so callers cannot corrupt a cached series. */
export function windowEndingAt(series: readonly Candle[], time: number, limit: number): Candle[] {
  return sharedWindowEndingAt(series, time, limit).map((c) => [...c] as Candle);
}

/** The same window holding the series' own candles, for a caller that only reads them (the backtester). */
export function sharedWindowEndingAt(series: readonly Candle[], time: number, limit: number): Candle[] {
  const end = indexAfter(series, time);
  return series.slice(Math.max(0, end - limit), end);
}

/** Earliest time at which every series holds at least `limit` candles at or before it. */
export function firstFullWindowTime(series: ReadonlyArray<readonly Candle[]>, limit: number): number {
  return Math.max(...series.map((s) => s[limit - 1][0]));
}

/** Open time of the first candle after `time`, or null when the series has none. */
export function nextTimeAfter(series: readonly Candle[], time: number): number | null {
  const i = indexAfter(series, time);
  return i < series.length ? series[i][0] : null;
}
