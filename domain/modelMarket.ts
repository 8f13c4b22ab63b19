/**
 * The signal model's view of the market. Its features are defined on 1h candles (./features/definition.ts),
 * whatever timeframe a portfolio trades: a cycle on another timeframe reads the model's candles that have CLOSED by
 * its decision time (the close of its newest candle), never one still open. Replayed and simulated markets have one
 * price path, the traded timeframe's, so their model candles are that path aggregated into hours; a live exchange
 * serves its own hourly candles (the same aggregation of the same trades).
 *
 * Pure and free of the feature code, so the cycle workflow may import it.
 */
import { ohlcvColumns, resampleOhlcv } from './indicators/ohlcv';
import type { Candle } from './types';

/** The timeframe the features and the model are defined on (FEATURE_TIMEFRAME; a test holds them equal). */
export const MODEL_TIMEFRAME = '1h';
export const MODEL_TIMEFRAME_MS = 3_600_000;
/** Model candles the newest feature row needs (MIN_CANDLES: 14 closed days plus today, in hours). */
export const MODEL_CANDLES = 359;

/** Open time of the newest candle of `candleMs` closed at `closedBy` (its close at or before it), on the UTC grid. */
export function lastClosedOpen(closedBy: number, candleMs: number): number {
  return Math.floor(closedBy / candleMs) * candleMs - candleMs;
}

/** Whether candles of `baseMs` aggregate into candles of `barMs`: shorter, and a whole number of them per bar. */
export function aggregates(baseMs: number, barMs: number): boolean {
  return baseMs < barMs && barMs % baseMs === 0;
}

/**
 * Candles aggregated into bars of `barMs` on the UTC grid by the resampler the features and the strategies share
 * (domain/indicators/ohlcv.ts): the first open, the highest high, the lowest low, the last close, the summed volume.
 * A bar whose bucket began before the first candle given is partial and left out; otherwise a bar holds the candles
 * there are (a gap in them is a gap in the bar, as on an exchange). Bars are only complete once their bucket has
 * ended: callers serve a bar only when its close is at or before their decision time.
 */
export function aggregateCandles(candles: readonly Candle[], candleMs: number, barMs: number): Candle[] {
  if (candles.length === 0) return [];
  const bars = resampleOhlcv(ohlcvColumns(candles), barMs, candleMs);
  const out: Candle[] = [];
  for (let b = 0; b < bars.time.length; b++) {
    if (Number.isNaN(bars.open[b])) continue; // partial: began before the first candle
    out.push([bars.time[b], bars.open[b], bars.high[b], bars.low[b], bars.close[b], bars.volume[b]]);
  }
  return out;
}

/**
 * The earliest open time of a base candle at whose close every series has MODEL_CANDLES model candles closed (null
 * when one never has): where a replay of a shorter timeframe starts so its first cycle already gets the model's
 * signals. `modelSeries` are the series' model candles.
 */
export function modelReadyTime(modelSeries: ReadonlyArray<readonly Candle[]>, baseMs: number, barMs = MODEL_TIMEFRAME_MS): number | null {
  let ready = -Infinity;
  for (const bars of modelSeries) {
    if (bars.length < MODEL_CANDLES) return null;
    ready = Math.max(ready, bars[MODEL_CANDLES - 1][0] + barMs - baseMs);
  }
  return Number.isFinite(ready) ? ready : null;
}
