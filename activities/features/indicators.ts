/**
 * The one feature definition shared by training (scripts/build-features.ts) and serving (the computeFeatures
 * activity), so the model never sees features computed two different ways.
 *
 * Every feature is scale-free (a ratio, a percentage or an oscillator) so one model can serve BTC at 40,000
 * and DOGE at 0.08. Indicators come from technicalindicators; its outputs are shorter than the input by each
 * indicator's warm-up, so every series is aligned to the END of the candle list and padded with NaN in front.
 *
 * To add a feature: append its name to FEATURE_NAMES and its column in computeFeatureMatrix, then retrain;
 * the inference activity refuses vectors whose names differ from the model manifest, so a stale model cannot
 * silently read the wrong column.
 */
import { ATR, BollingerBands, EMA, MACD, ROC, RSI, SD, SMA } from 'technicalindicators';
import type { Candle } from '../../domain/types';

export const FEATURE_NAMES = [
  'ret_1',
  'roc_5',
  'roc_10',
  'roc_20',
  'close_to_sma20',
  'close_to_sma50',
  'sma20_to_sma50',
  'close_to_ema12',
  'ema12_to_ema26',
  'macd_to_close',
  'macd_signal_to_close',
  'macd_hist_to_close',
  'rsi_14',
  'bb_percent_b',
  'bb_width',
  'atr_to_close',
  'momentum_10_in_atr',
  'volatility_20',
  'volume_ratio_20',
  'range_to_close',
  'body_to_range',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

/**
 * Candles needed before the newest row is complete: SMA 50 is the slowest feature (MACD's signal line is
 * ready after 34, ATR and RSI after 15). Recursive indicators (EMA, RSI, ATR) still depend slightly on where
 * the series starts; with 120 candles the seed's weight is below 0.1%, far under what the model resolves.
 */
export const MIN_CANDLES = 50;

export interface FeatureMatrix {
  names: string[];
  /** One row per input candle, in input order; NaN where an indicator is still warming up. */
  rows: number[][];
}

/** Pads an indicator's output with NaN in front so index i describes candle i; missing entries become NaN. */
export function alignToEnd(values: ReadonlyArray<number | undefined>, length: number): number[] {
  if (values.length > length) {
    throw new Error(`indicator output has ${values.length} values for ${length} candles; it cannot be longer`);
  }
  const padded = new Array<number>(length - values.length).fill(NaN);
  for (const v of values) padded.push(typeof v === 'number' ? v : NaN);
  return padded;
}

/** Refuses candles that would poison every feature downstream, naming the first bad one. */
export function assertUsableCandles(candles: Candle[]): void {
  if (!Array.isArray(candles)) throw new Error('candles must be an array of [timestamp, open, high, low, close, volume]');
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i];
    if (!Array.isArray(c) || c.length !== 6 || !c.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`candle ${i} is not six finite numbers [timestamp, open, high, low, close, volume]: ${JSON.stringify(c)}`);
    }
    const [ts, open, high, low, close, volume] = c;
    if (open <= 0 || high <= 0 || low <= 0 || close <= 0) throw new Error(`candle ${i} (ts ${ts}) has a non-positive price`);
    if (high < low) throw new Error(`candle ${i} (ts ${ts}) has high ${high} below low ${low}`);
    if (volume < 0) throw new Error(`candle ${i} (ts ${ts}) has negative volume ${volume}`);
    if (i > 0 && ts <= candles[i - 1][0]) {
      throw new Error(`candle ${i} (ts ${ts}) is not after candle ${i - 1} (ts ${candles[i - 1][0]}): candles must be oldest first, unique`);
    }
  }
}

const ratioMinusOne = (a: number, b: number): number => a / b - 1;

/** A market that has not moved at all (ATR 0) has no unusual move either: 0 rather than 0/0. */
const momentumInAtr = (move: number, atr: number): number => (atr === 0 ? 0 : move / atr);

export function computeFeatureMatrix(candles: Candle[]): FeatureMatrix {
  assertUsableCandles(candles);
  const n = candles.length;
  const open = candles.map((c) => c[1]);
  const high = candles.map((c) => c[2]);
  const low = candles.map((c) => c[3]);
  const close = candles.map((c) => c[4]);
  const volume = candles.map((c) => c[5]);

  const sma20 = alignToEnd(SMA.calculate({ period: 20, values: close }), n);
  const sma50 = alignToEnd(SMA.calculate({ period: 50, values: close }), n);
  const ema12 = alignToEnd(EMA.calculate({ period: 12, values: close }), n);
  const ema26 = alignToEnd(EMA.calculate({ period: 26, values: close }), n);
  // Classic MACD: exponential averages for both the oscillator and the signal line.
  const macdOut = MACD.calculate({
    values: close,
    fastPeriod: 12,
    slowPeriod: 26,
    signalPeriod: 9,
    SimpleMAOscillator: false,
    SimpleMASignal: false,
  });
  const macd = alignToEnd(macdOut.map((m) => m.MACD), n);
  const macdSignal = alignToEnd(macdOut.map((m) => m.signal), n);
  const macdHist = alignToEnd(macdOut.map((m) => m.histogram), n);
  const rsi14 = alignToEnd(RSI.calculate({ period: 14, values: close }), n);
  const bb = BollingerBands.calculate({ period: 20, values: close, stdDev: 2 });
  const bbUpper = alignToEnd(bb.map((b) => b.upper), n);
  const bbLower = alignToEnd(bb.map((b) => b.lower), n);
  const bbMiddle = alignToEnd(bb.map((b) => b.middle), n);
  const atr14 = alignToEnd(ATR.calculate({ period: 14, high, low, close }), n);
  // ROC is in percent; /100 keeps all returns in the same unit (fractions).
  const roc = (period: number) => alignToEnd(ROC.calculate({ period, values: close }), n).map((x) => x / 100);
  const roc5 = roc(5);
  const roc10 = roc(10);
  const roc20 = roc(20);
  const volumeSma20 = alignToEnd(SMA.calculate({ period: 20, values: volume }), n);
  const ret1 = close.map((c, i) => (i === 0 ? NaN : c / close[i - 1] - 1));
  // Realised volatility of one-candle returns; ret1[0] is NaN, so it is left out and re-aligned.
  const volatility20 = alignToEnd(SD.calculate({ period: 20, values: ret1.slice(1) }), n);

  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const c = close[i];
    const range = high[i] - low[i];
    rows[i] = [
      ret1[i],
      roc5[i],
      roc10[i],
      roc20[i],
      ratioMinusOne(c, sma20[i]),
      ratioMinusOne(c, sma50[i]),
      ratioMinusOne(sma20[i], sma50[i]),
      ratioMinusOne(c, ema12[i]),
      ratioMinusOne(ema12[i], ema26[i]),
      macd[i] / c,
      macdSignal[i] / c,
      macdHist[i] / c,
      rsi14[i],
      // %B from the bands themselves: technicalindicators' own `pb` is the same formula, computed here so a
      // zero-width band (constant prices) gives a defined mid value instead of a division by zero.
      bbUpper[i] === bbLower[i] ? (Number.isNaN(bbUpper[i]) ? NaN : 0.5) : (c - bbLower[i]) / (bbUpper[i] - bbLower[i]),
      (bbUpper[i] - bbLower[i]) / bbMiddle[i],
      atr14[i] / c,
      // Momentum measured in ATRs: how unusual the move is for this market's current volatility.
      momentumInAtr(c - close[i - 10], atr14[i]),
      volatility20[i],
      volume[i] / volumeSma20[i],
      range / c,
      // A doji with no range has no body either: 0 rather than 0/0.
      range > 0 ? (c - open[i]) / range : 0,
    ];
  }
  return { names: [...FEATURE_NAMES], rows };
}

/** Index of the first feature that is not a finite number, or -1 when the row is complete. */
export function firstNonFinite(row: ReadonlyArray<number>): number {
  return row.findIndex((x) => !Number.isFinite(x));
}
