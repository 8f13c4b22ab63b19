/**
 * Trend and band indicators for the strategies, in the finite-memory style of ./series (why: see there). They are
 * hand-written rather than taken from an indicator library because every library computes EMAs, RSI and ATR
 * recursively from the series start, which would make a backtest over years and the live cycle over its last few
 * hundred candles decide differently.
 */
import { nanColumn, rolling, rollingMean, rollingSd, windowedEma, windowMean, type Column } from './series';
import { trueRange } from './rsiAndTrueRange';

export type AverageKind = 'sma' | 'ema';

/** SMA, or an EMA truncated to 4 x its period (windowedEma). */
export function movingAverage(x: ArrayLike<number>, period: number, kind: AverageKind): Column {
  return kind === 'sma' ? rollingMean(x, period) : windowedEma(x, period);
}

export interface Macd {
  line: Column;
  signal: Column;
  histogram: Column;
}

export function macd(close: ArrayLike<number>, fast = 12, slow = 26, signalPeriod = 9): Macd {
  const fastEma = windowedEma(close, fast);
  const slowEma = windowedEma(close, slow);
  const line = nanColumn(close.length);
  for (let i = 0; i < close.length; i++) line[i] = fastEma[i] - slowEma[i];
  const signal = windowedEma(line, signalPeriod);
  const histogram = nanColumn(close.length);
  for (let i = 0; i < close.length; i++) histogram[i] = line[i] - signal[i];
  return { line, signal, histogram };
}

export interface Bollinger {
  middle: Column;
  sd: Column;
}

export function bollinger(close: ArrayLike<number>, period: number): Bollinger {
  return { middle: rollingMean(close, period), sd: rollingSd(close, period) };
}

/** Simple-mean ATR (finite, unlike Wilder's recursive one). */
export function atr(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>, period: number): Column {
  return rollingMean(trueRange(high, low, close), period);
}

/** Mean of x over the `period` values BEFORE i (excluding i): the baseline a spike at i is compared with. */
export function priorMean(x: ArrayLike<number>, period: number): Column {
  const out = nanColumn(x.length);
  for (let i = period; i < x.length; i++) out[i] = windowMean(x, i - period, i - 1);
  return out;
}

/** Highest x over the `period` values before i: a resistance level that candle i may break. */
export function priorMax(x: ArrayLike<number>, period: number): Column {
  const out = nanColumn(x.length);
  for (let i = period; i < x.length; i++) {
    let m = -Infinity;
    for (let k = i - period; k < i; k++) m = Math.max(m, x[k]);
    out[i] = m;
  }
  return out;
}

/** Log returns, NaN at index 0. */
export function logReturns(close: ArrayLike<number>): Column {
  const out = nanColumn(close.length);
  for (let i = 1; i < close.length; i++) out[i] = Math.log(close[i] / close[i - 1]);
  return out;
}

/** Fraction of the last `window` values of x that are <= x[i]: where today's value ranks in recent history. */
export function percentileRank(x: ArrayLike<number>, window: number): Column {
  return rolling(x.length, window, (start, end) => {
    const v = x[end];
    if (Number.isNaN(v)) return NaN;
    let below = 0;
    for (let k = start; k <= end; k++) {
      if (Number.isNaN(x[k])) return NaN;
      if (x[k] <= v) below++;
    }
    return below / (end - start + 1);
  });
}
