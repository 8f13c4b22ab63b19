/**
 * Multi-timeframe features: 4-hour and daily bars resampled from the base candles, never fetched separately,
 * so training and serving build them the same way from the same candles.
 *
 * Bars come from domain/indicators/ohlcv.ts (UTC-aligned, only closed bars read, a partial first bar NaN), shared
 * with the strategy engine; a feature that would need a partial bar is NaN, and the caller refuses such a row
 * rather than serve a value training never saw.
 */
import type { CandleColumns } from './candleColumns';
import { atLastClosedBar, resampleOhlcv, type ResampledOhlcv } from '../../domain/indicators/ohlcv';
import { rsi, trueRange } from './ownCandles';
import { nanColumn, pctChange, relativeTo, rollingMax, rollingMean, rollingMin, rollingSd, type Column } from '../../domain/indicators/series';

export const H4_FEATURES = [
  'h4_ret_1', 'h4_ret_6', 'h4_rsi_14', 'h4_close_to_sma_20', 'h4_atr_14_to_close', 'h4_volume_ratio_20',
] as const;

export const D1_FEATURES = [
  'd1_ret_1', 'd1_ret_3', 'd1_ret_7', 'd1_close_to_sma_7', 'd1_volatility_7', 'd1_range_to_close',
  'd1_position_in_range_14', 'd1_volume_ratio_7', 'day_ret_so_far',
] as const;

export type H4Feature = (typeof H4_FEATURES)[number];
export type D1Feature = (typeof D1_FEATURES)[number];

export const FOUR_HOURS_MS = 4 * 3_600_000;
export const ONE_DAY_MS = 24 * 3_600_000;

const atLastClosed = (bars: ResampledOhlcv, barValues: Column): Column => atLastClosedBar(bars.lastClosedBar, barValues);

const rowMap = (rows: ArrayLike<number>, fn: (i: number) => number): Column => {
  const out = nanColumn(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = fn(i);
  return out;
};

export function fourHourFeatures(c: CandleColumns, candleMs: number): Record<H4Feature, Column> {
  const bars = resampleOhlcv(c, FOUR_HOURS_MS, candleMs);
  const at = (values: Column) => atLastClosed(bars, values);
  const sma20 = at(rollingMean(bars.close, 20));
  const atr14 = at(rollingMean(trueRange(bars.high, bars.low, bars.close), 14));
  const volumeSma20 = rollingMean(bars.volume, 20);
  return {
    h4_ret_1: at(pctChange(bars.close, 1)),
    h4_ret_6: at(pctChange(bars.close, 6)),
    h4_rsi_14: at(rsi(bars.close, 14)),
    // The current price against the 4h trend: a bar SMA read at the newest closed bar.
    h4_close_to_sma_20: rowMap(c.close, (i) => relativeTo(c.close[i], sma20[i])),
    h4_atr_14_to_close: rowMap(c.close, (i) => atr14[i] / c.close[i]),
    h4_volume_ratio_20: at(Float64Array.from(bars.volume, (v, b) => v / volumeSma20[b])),
  };
}

export function dailyFeatures(c: CandleColumns, candleMs: number): Record<D1Feature, Column> {
  const bars = resampleOhlcv(c, ONE_DAY_MS, candleMs);
  const at = (values: Column) => atLastClosed(bars, values);
  const sma7 = at(rollingMean(bars.close, 7));
  const low14 = at(rollingMin(bars.low, 14));
  const high14 = at(rollingMax(bars.high, 14));
  const volumeSma7 = rollingMean(bars.volume, 7);
  return {
    d1_ret_1: at(pctChange(bars.close, 1)),
    d1_ret_3: at(pctChange(bars.close, 3)),
    d1_ret_7: at(pctChange(bars.close, 7)),
    d1_close_to_sma_7: rowMap(c.close, (i) => relativeTo(c.close[i], sma7[i])),
    d1_volatility_7: at(rollingSd(pctChange(bars.close, 1), 7)),
    d1_range_to_close: at(Float64Array.from(bars.close, (close, b) => (bars.high[b] - bars.low[b]) / close)),
    // Where the price sits in the last two weeks' range; a range of zero puts it in the middle.
    d1_position_in_range_14: rowMap(c.close, (i) => {
      const width = high14[i] - low14[i];
      return width === 0 ? 0.5 : (c.close[i] - low14[i]) / width;
    }),
    d1_volume_ratio_7: at(Float64Array.from(bars.volume, (v, b) => v / volumeSma7[b])),
    // The UTC day so far: from the open of the day's first candle to this close (the day's bar, still open).
    day_ret_so_far: rowMap(c.close, (i) => relativeTo(c.close[i], bars.open[bars.barOfRow[i]])),
  };
}
