/**
 * THE feature definition, shared by training (scripts/build-features.ts writes the training matrix with it)
 * and serving (the computeFeatures activity). Python never computes a feature: it reads the matrix.
 *
 * Groups: the symbol's own candles (./ownCandles: returns, trend, oscillators, volatility, volume), 4-hour and
 * daily bars resampled from the same candles (./multiTimeframe), time of day and week (./calendar), and the
 * reference market BTC/USDT (./crossAsset).
 *
 * Every feature has finite memory (./series): the row of candle i is a function of the candles of the last
 * MIN_CANDLES hours only. So the features of the newest candle are the same numbers whether computed over
 * the years of history training saw or over the few hundred candles a cycle fetches (a test checks equality).
 *
 * To add a feature: add it to its group's list and computation, then retrain (`npm run train`). The inference
 * activity refuses vectors whose names differ from the model manifest, so a stale model cannot silently read
 * the wrong column.
 */
import type { Candle } from '../../domain/types';
import { CALENDAR_FEATURES, calendarFeatures } from './calendar';
import { toColumns } from './candleColumns';
import { CROSS_ASSET_FEATURES, crossAssetFeatures } from './crossAsset';
import { D1_FEATURES, dailyFeatures, fourHourFeatures, H4_FEATURES } from './multiTimeframe';
import { OWN_CANDLE_FEATURES, ownCandleFeatures } from './ownCandles';
import type { Column } from '../../domain/indicators/series';
import { alignOnTime, noTrade, unavailableBecause } from './timeAlignment';
import { ohlcvColumns } from '../../domain/indicators/ohlcv';
import { assertUsableCandles } from './candleColumns';

export { assertUsableCandles } from './candleColumns';

export const FEATURE_NAMES = [
  ...OWN_CANDLE_FEATURES,
  ...H4_FEATURES,
  ...D1_FEATURES,
  ...CALENDAR_FEATURES,
  ...CROSS_ASSET_FEATURES,
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

/** The candle timeframe the features (and the models trained on them) are defined on. */
export const FEATURE_TIMEFRAME = '1h';
export const FEATURE_CANDLE_MS = 3_600_000;

/** The market every other symbol is compared with (cross-asset features); defined in domain/ for the workflows. */
export { REFERENCE_SYMBOL } from '../../domain/referenceMarket';
import { REFERENCE_SYMBOL } from '../../domain/referenceMarket';

/**
 * Base candles the newest row needs, whatever hour of the day it is: 14 closed daily bars
 * (d1_position_in_range_14) plus the current day's candles so far. At 22:00 UTC that is 14 x 24 + 23 = 359;
 * every other feature reaches less far back (SMA 200: 200; MACD's windowed EMAs: 139). The cross-asset
 * features need the reference's candles over the same hours. Checked by a test that tries every hour.
 */
export const MIN_CANDLES = 359;

export interface FeatureMatrix {
  names: string[];
  /** One row per input candle, in input order; NaN where a feature's window is not covered. */
  rows: number[][];
  /** Rows (by input index) whose window crosses too much missing data, with why: they are all NaN. */
  unavailable: Map<number, string>;
}

/**
 * Features of every candle. `reference` = the reference market's candles (same timeframe, covering the same
 * hours), or 'self' when `candles` are the reference market's own. Both are put on their time grid first
 * (./timeAlignment.ts), so every window counts hours, whatever hours the data lacks.
 */
export function computeFeatureMatrix(candles: Candle[], reference: Candle[] | 'self', candleMs = FEATURE_CANDLE_MS): FeatureMatrix {
  assertUsableCandles(candles);
  const aligned = alignOnTime(candles, candleMs);
  const own = toColumns(aligned.candles);
  let ref: ReturnType<typeof toColumns> | 'self' = 'self';
  if (reference !== 'self') {
    try {
      assertUsableCandles(reference);
      // An hour both lack is an outage: no trade. An hour only the reference lacks is unknown, never guessed: NaN,
      // so the cross-asset features of the windows it is in are NaN (refused).
      const own = new Set(candles.map((c) => c[0]));
      const refAligned = alignOnTime(reference, candleMs, (t, close) => (own.has(t) ? [t, NaN, NaN, NaN, NaN, NaN] : noTrade(t, close)));
      ref = { length: refAligned.candles.length, ...ohlcvColumns(refAligned.candles) };
    } catch (err) {
      throw new Error(`reference ${REFERENCE_SYMBOL}: ${(err as Error).message}`);
    }
  }
  const columns: Record<FeatureName, Column> = {
    ...ownCandleFeatures(own),
    ...fourHourFeatures(own, candleMs),
    ...dailyFeatures(own, candleMs),
    ...calendarFeatures(own),
    ...crossAssetFeatures(own, ref),
  };
  const ordered = FEATURE_NAMES.map((name) => columns[name]);
  const rows: number[][] = new Array(candles.length);
  const unavailable = new Map<number, string>();
  for (let i = 0; i < candles.length; i++) {
    const k = aligned.positionOf[i];
    const why = unavailableBecause(aligned, k, MIN_CANDLES, candleMs);
    if (why) {
      unavailable.set(i, why);
      rows[i] = ordered.map(() => NaN);
    } else {
      rows[i] = ordered.map((col) => col[k]);
    }
  }
  return { names: [...FEATURE_NAMES], rows, unavailable };
}

/** Index of the first feature that is not a finite number, or -1 when the row is complete. */
export function firstNonFinite(row: ReadonlyArray<number>): number {
  return row.findIndex((x) => !Number.isFinite(x));
}
