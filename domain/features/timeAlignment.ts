/**
 * Feature windows on time, not position. Every feature counts its window in candles ("the last 24"), which means
 * hours only when no hour is missing; an exchange outage (Binance 2023-03-24 13:00 is missing) would make the
 * "24h" return of the hours after it span 25 hours. So the candles are put on their time grid first: a missing
 * candle is filled as one in which nothing traded (open = high = low = close = the last close, volume 0, which is
 * what the exchange itself reports for a quiet outage hour), and a row whose window holds more than
 * MAX_FILLED_CANDLES such fills is marked unavailable with the reason, rather than computed on invented hours.
 * The same function serves training (scripts/build-features.ts), the features activity and the backtester.
 */
import type { Candle } from '../../domain/types';

/** Filled candles a feature row's window may hold before the row is unavailable (Binance's longest outage: 5 hours). */
export const MAX_FILLED_CANDLES = 6;

export interface AlignedCandles {
  /** On the time grid, oldest first, fills included. */
  candles: Candle[];
  /** For each input candle, its index in `candles`. */
  positionOf: Int32Array;
  /** Per aligned candle, the number of fills among it and every candle before it (a running count). */
  filledThrough: Int32Array;
}

/** A missing candle as one in which nothing traded. */
export const noTrade = (time: number, lastClose: number): Candle => [time, lastClose, lastClose, lastClose, lastClose, 0];

/**
 * The candles on their time grid of `candleMs`, each missing one made by `fill` (default: no trade). Without a
 * gap, `candles` is the input array itself.
 */
export function alignOnTime(candles: Candle[], candleMs: number, fill: (time: number, lastClose: number) => Candle = noTrade): AlignedCandles {
  let missing = 0;
  for (let i = 1; i < candles.length; i++) missing += Math.max(0, Math.round((candles[i][0] - candles[i - 1][0]) / candleMs) - 1);
  const positionOf = new Int32Array(candles.length);
  if (missing === 0) {
    for (let i = 0; i < candles.length; i++) positionOf[i] = i;
    return { candles, positionOf, filledThrough: new Int32Array(candles.length) };
  }
  const aligned: Candle[] = [];
  const filled: number[] = [];
  let fills = 0;
  for (let i = 0; i < candles.length; i++) {
    if (i > 0) {
      const close = candles[i - 1][4];
      for (let t = candles[i - 1][0] + candleMs; t < candles[i][0]; t += candleMs) {
        aligned.push(fill(t, close));
        filled.push(++fills);
      }
    }
    positionOf[i] = aligned.length;
    aligned.push(candles[i]);
    filled.push(fills);
  }
  return { candles: aligned, positionOf, filledThrough: Int32Array.from(filled) };
}

/**
 * Why the row at aligned index `k` is unavailable (its window of `window` candles holds too many fills), or
 * undefined when it is computed on enough real candles.
 */
export function unavailableBecause(aligned: AlignedCandles, k: number, window: number, candleMs: number): string | undefined {
  const from = k - window + 1;
  const fills = aligned.filledThrough[k] - (from > 0 ? aligned.filledThrough[from - 1] : 0);
  if (fills <= MAX_FILLED_CANDLES) return undefined;
  const hours = (candleMs * fills) / 3_600_000;
  return `its window of ${window} candles crosses ${fills} missing candles (${hours}h of no data, at most ${MAX_FILLED_CANDLES} are filled as no-trade candles)`;
}
