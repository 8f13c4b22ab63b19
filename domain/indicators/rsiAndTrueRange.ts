/**
 * RSI and true range with finite memory (see ./series): moved here from the feature code so that the strategies
 * (domain/strategies, which run inside workflows) compute exactly the values the ML features do.
 */
import { nanColumn, rolling, windowMean, type Column } from './series';

const map = (length: number, fn: (i: number) => number): Column => {
  const out = nanColumn(length);
  for (let i = 0; i < length; i++) out[i] = fn(i);
  return out;
};

/** True range; NaN for the first candle, which has no previous close. */
export function trueRange(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>): Column {
  return map(close.length, (i) =>
    i === 0 ? NaN : Math.max(high[i] - low[i], Math.abs(high[i] - close[i - 1]), Math.abs(low[i] - close[i - 1])));
}

/** Cutler's RSI: mean gain over mean loss of the last `period` changes; 50 when nothing moved. */
export function rsi(close: ArrayLike<number>, period: number): Column {
  const change = map(close.length, (i) => (i === 0 ? NaN : close[i] - close[i - 1]));
  const gain = map(close.length, (i) => Math.max(change[i], 0));
  const loss = map(close.length, (i) => Math.max(-change[i], 0));
  return rolling(close.length, period, (a, b) => {
    const g = windowMean(gain, a, b);
    const l = windowMean(loss, a, b);
    if (Number.isNaN(g) || Number.isNaN(l)) return NaN;
    if (l === 0) return g === 0 ? 50 : 100;
    return 100 - 100 / (1 + g / l);
  });
}
