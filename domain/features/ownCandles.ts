/**
 * Features of a symbol's own candles on the base timeframe: returns, trend, oscillators, volatility, candle
 * shape and volume. All scale-free (ratios, fractions, oscillators), so one model serves BTC at 40,000 and
 * DOGE at 0.08, and all with finite memory (./series): the longest window, SMA 200, reaches 199 candles back.
 *
 * Indicators that are classically recursive use a finite form: RSI and ATR average over their period
 * (Cutler's RSI, a simple-mean ATR), MACD uses windowed EMAs. Same meaning, no dependence on the series start.
 */
import type { CandleColumns } from './candleColumns';
import {
  nanColumn, pctChange, relativeTo, rolling, rollingMax, rollingMean, rollingMin, rollingSd, rollingSum, windowedEma,
  windowLinearFit, windowMean, windowSkew, type Column,
} from '../../domain/indicators/series';
import { rsi, trueRange } from '../../domain/indicators/rsiAndTrueRange';

// Re-exported: the multi-timeframe features and older callers import them from here.
export { rsi, trueRange };

export const OWN_CANDLE_FEATURES = [
  // Returns over 1 hour to 3 days.
  'ret_1', 'ret_3', 'ret_6', 'ret_12', 'ret_24', 'ret_72',
  // Trend.
  'close_to_sma_20', 'close_to_sma_50', 'close_to_sma_200', 'sma_20_to_sma_50', 'sma_50_to_sma_200',
  'close_to_ema_12', 'ema_12_to_ema_26', 'macd_to_close', 'macd_signal_to_close', 'macd_hist_to_close',
  'trend_slope_24', 'trend_r2_24', 'adx_14', 'di_diff_14',
  // Oscillators and position in the recent range.
  'rsi_14', 'stoch_k_14', 'stoch_d_3', 'cci_20', 'bb_percent_b_20', 'bb_width_20', 'momentum_10_in_atr',
  'position_in_range_72', 'close_to_high_72', 'close_to_low_72',
  // Volatility and candle shape.
  'atr_14_to_close', 'volatility_24', 'volatility_72', 'volatility_ratio_24_72', 'parkinson_24', 'return_skew_72',
  'range_to_close', 'body_to_range', 'upper_wick_to_range', 'lower_wick_to_range',
  // Volume.
  'volume_ratio_20', 'volume_ratio_6_72', 'mfi_14', 'signed_volume_24', 'close_to_vwap_24',
] as const;

export type OwnCandleFeature = (typeof OWN_CANDLE_FEATURES)[number];

const map = (length: number, fn: (i: number) => number): Column => {
  const out = nanColumn(length);
  for (let i = 0; i < length; i++) out[i] = fn(i);
  return out;
};

/** x / d, or `whenZero` when d is exactly 0 (a market that did not move has no unusual move either). */
const safeDiv = (x: number, d: number, whenZero: number): number => (d === 0 && !Number.isNaN(x) ? whenZero : x / d);

export function ownCandleFeatures(c: CandleColumns): Record<OwnCandleFeature, Column> {
  const n = c.length;
  const { open, high, low, close, volume } = c;
  const ret1 = pctChange(close, 1);
  const sma20 = rollingMean(close, 20);
  const sma50 = rollingMean(close, 50);
  const sma200 = rollingMean(close, 200);
  const ema12 = windowedEma(close, 12);
  const ema26 = windowedEma(close, 26);
  const macd = map(n, (i) => ema12[i] - ema26[i]);
  const macdSignal = windowedEma(macd, 9);
  const logClose = map(n, (i) => Math.log(close[i]));
  const fit24 = rolling(n, 24, (a, b) => windowLinearFit(logClose, a, b).slope);
  const fitR2 = rolling(n, 24, (a, b) => windowLinearFit(logClose, a, b).r2);

  const tr = trueRange(high, low, close);
  const atr14 = rollingMean(tr, 14);
  // Directional movement (Wilder's definitions, simple means over 14 instead of his recursive smoothing).
  const plusDm = map(n, (i) => {
    if (i === 0) return NaN;
    const up = high[i] - high[i - 1];
    const down = low[i - 1] - low[i];
    return up > down && up > 0 ? up : 0;
  });
  const minusDm = map(n, (i) => {
    if (i === 0) return NaN;
    const up = high[i] - high[i - 1];
    const down = low[i - 1] - low[i];
    return down > up && down > 0 ? down : 0;
  });
  const plusDi = map(n, (i) => 100 * safeDiv(rollingMeanAt(plusDm, i, 14), atr14[i], 0));
  const minusDi = map(n, (i) => 100 * safeDiv(rollingMeanAt(minusDm, i, 14), atr14[i], 0));
  const dx = map(n, (i) => 100 * safeDiv(Math.abs(plusDi[i] - minusDi[i]), plusDi[i] + minusDi[i], 0));

  const lowest14 = rollingMin(low, 14);
  const highest14 = rollingMax(high, 14);
  const stochK = map(n, (i) => safeDiv(close[i] - lowest14[i], highest14[i] - lowest14[i], 0.5));
  const typical = map(n, (i) => (high[i] + low[i] + close[i]) / 3);
  const cci20 = rolling(n, 20, (a, b) => {
    const m = windowMean(typical, a, b);
    let mad = 0;
    for (let k = a; k <= b; k++) mad += Math.abs(typical[k] - m);
    mad /= b - a + 1;
    return safeDiv(typical[b] - m, 0.015 * mad, 0);
  });
  const sd20 = rollingSd(close, 20);
  const lowest72 = rollingMin(low, 72);
  const highest72 = rollingMax(high, 72);

  const vol24 = rollingSd(ret1, 24);
  const vol72 = rollingSd(ret1, 72);
  const logRangeSq = map(n, (i) => Math.log(high[i] / low[i]) ** 2);
  const meanLogRangeSq24 = rollingMean(logRangeSq, 24);
  // Parkinson's estimator: volatility from the high-low range, which sees moves the closes hide.
  const parkinson24 = map(n, (i) => Math.sqrt(meanLogRangeSq24[i] / (4 * Math.LN2)));

  const volumeSma20 = rollingMean(volume, 20);
  const volumeSma6 = rollingMean(volume, 6);
  const volumeSma72 = rollingMean(volume, 72);
  const moneyFlow = map(n, (i) => typical[i] * volume[i]);
  const mfi14 = rolling(n, 14, (a, b) => {
    if (a === 0) return NaN; // the first change needs the candle before the window
    let pos = 0;
    let neg = 0;
    for (let k = a; k <= b; k++) {
      if (typical[k] > typical[k - 1]) pos += moneyFlow[k];
      else if (typical[k] < typical[k - 1]) neg += moneyFlow[k];
    }
    return safeDiv(100 * pos, pos + neg, 50);
  });
  const signedVolume = map(n, (i) => volume[i] * Math.sign(close[i] - open[i]));
  const volume24 = rollingSum(volume, 24);
  const signedVolume24 = rollingSum(signedVolume, 24);
  const moneyFlow24 = rollingSum(moneyFlow, 24);

  const range = map(n, (i) => high[i] - low[i]);
  return {
    ret_1: ret1,
    ret_3: pctChange(close, 3),
    ret_6: pctChange(close, 6),
    ret_12: pctChange(close, 12),
    ret_24: pctChange(close, 24),
    ret_72: pctChange(close, 72),
    close_to_sma_20: map(n, (i) => relativeTo(close[i], sma20[i])),
    close_to_sma_50: map(n, (i) => relativeTo(close[i], sma50[i])),
    close_to_sma_200: map(n, (i) => relativeTo(close[i], sma200[i])),
    sma_20_to_sma_50: map(n, (i) => relativeTo(sma20[i], sma50[i])),
    sma_50_to_sma_200: map(n, (i) => relativeTo(sma50[i], sma200[i])),
    close_to_ema_12: map(n, (i) => relativeTo(close[i], ema12[i])),
    ema_12_to_ema_26: map(n, (i) => relativeTo(ema12[i], ema26[i])),
    macd_to_close: map(n, (i) => macd[i] / close[i]),
    macd_signal_to_close: map(n, (i) => macdSignal[i] / close[i]),
    macd_hist_to_close: map(n, (i) => (macd[i] - macdSignal[i]) / close[i]),
    trend_slope_24: fit24,
    trend_r2_24: fitR2,
    adx_14: rollingMean(dx, 14),
    di_diff_14: map(n, (i) => (plusDi[i] - minusDi[i]) / 100),
    rsi_14: rsi(close, 14),
    stoch_k_14: stochK,
    stoch_d_3: rollingMean(stochK, 3),
    cci_20: cci20,
    // %B and width of Bollinger(20, 2); a zero-width band (constant prices) puts the close in the middle.
    bb_percent_b_20: map(n, (i) => safeDiv(close[i] - (sma20[i] - 2 * sd20[i]), 4 * sd20[i], 0.5)),
    bb_width_20: map(n, (i) => (4 * sd20[i]) / sma20[i]),
    // Momentum in ATRs: how unusual the move is for this market's current volatility.
    momentum_10_in_atr: map(n, (i) => (i < 10 ? NaN : safeDiv(close[i] - close[i - 10], atr14[i], 0))),
    position_in_range_72: map(n, (i) => safeDiv(close[i] - lowest72[i], highest72[i] - lowest72[i], 0.5)),
    close_to_high_72: map(n, (i) => relativeTo(close[i], highest72[i])),
    close_to_low_72: map(n, (i) => relativeTo(close[i], lowest72[i])),
    atr_14_to_close: map(n, (i) => atr14[i] / close[i]),
    volatility_24: vol24,
    volatility_72: vol72,
    volatility_ratio_24_72: map(n, (i) => safeDiv(vol24[i], vol72[i], 1)),
    parkinson_24: parkinson24,
    return_skew_72: rolling(n, 72, (a, b) => windowSkew(ret1, a, b)),
    range_to_close: map(n, (i) => range[i] / close[i]),
    // A doji with no range has no body and no wicks either: 0 rather than 0/0.
    body_to_range: map(n, (i) => safeDiv(close[i] - open[i], range[i], 0)),
    upper_wick_to_range: map(n, (i) => safeDiv(high[i] - Math.max(open[i], close[i]), range[i], 0)),
    lower_wick_to_range: map(n, (i) => safeDiv(Math.min(open[i], close[i]) - low[i], range[i], 0)),
    // Volume ratios stay 0/0 = NaN on a market with no volume at all: such data is refused, not guessed.
    volume_ratio_20: map(n, (i) => volume[i] / volumeSma20[i]),
    volume_ratio_6_72: map(n, (i) => volumeSma6[i] / volumeSma72[i]),
    mfi_14: mfi14,
    // Share of the last day's volume traded on up candles minus down candles: buying or selling pressure.
    signed_volume_24: map(n, (i) => safeDiv(signedVolume24[i], volume24[i], 0)),
    close_to_vwap_24: map(n, (i) => relativeTo(close[i], moneyFlow24[i] / volume24[i])),
  };
}

/** Mean of x over the `window` values ending at i, NaN when the window does not fit. */
function rollingMeanAt(x: ArrayLike<number>, i: number, window: number): number {
  return i - window + 1 < 0 ? NaN : windowMean(x, i - window + 1, i);
}
