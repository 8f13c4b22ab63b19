/**
 * Window statistics with FINITE memory: the value at index i depends on values[i - window + 1 .. i] only,
 * summed directly in a fixed order (oldest first). No running sums and no recursive smoothing, on purpose:
 * a running sum or a classic EMA remembers where the series started, so training (features over years of
 * candles) and serving (features over the last few hundred) would compute slightly different numbers.
 * With finite memory they compute the very same float64, which tests/unit/features.test.ts checks.
 *
 * Every function returns one value per input index: NaN while the window is not full yet, and NaN when any
 * value in the window is NaN (arithmetic propagates it, Math.max/min too).
 */

export type Column = Float64Array;

export function nanColumn(length: number): Column {
  return new Float64Array(length).fill(NaN);
}

/** out[i] = fn(start, i) for every i with a full window (start = i - window + 1), NaN before. */
export function rolling(length: number, window: number, fn: (start: number, end: number) => number): Column {
  if (!Number.isInteger(window) || window < 1) throw new Error(`window must be a positive integer, got ${window}`);
  const out = nanColumn(length);
  for (let i = window - 1; i < length; i++) out[i] = fn(i - window + 1, i);
  return out;
}

export function windowSum(x: ArrayLike<number>, start: number, end: number): number {
  let s = 0;
  for (let k = start; k <= end; k++) s += x[k];
  return s;
}

export function windowMean(x: ArrayLike<number>, start: number, end: number): number {
  return windowSum(x, start, end) / (end - start + 1);
}

/** Population standard deviation (divides by the count, as Bollinger bands do). */
export function windowSd(x: ArrayLike<number>, start: number, end: number): number {
  const m = windowMean(x, start, end);
  let s = 0;
  for (let k = start; k <= end; k++) s += (x[k] - m) * (x[k] - m);
  return Math.sqrt(s / (end - start + 1));
}

export function windowMax(x: ArrayLike<number>, start: number, end: number): number {
  let m = -Infinity;
  for (let k = start; k <= end; k++) m = Math.max(m, x[k]);
  return m;
}

export function windowMin(x: ArrayLike<number>, start: number, end: number): number {
  let m = Infinity;
  for (let k = start; k <= end; k++) m = Math.min(m, x[k]);
  return m;
}

export const rollingMean = (x: ArrayLike<number>, w: number): Column => rolling(x.length, w, (a, b) => windowMean(x, a, b));
export const rollingSum = (x: ArrayLike<number>, w: number): Column => rolling(x.length, w, (a, b) => windowSum(x, a, b));
export const rollingSd = (x: ArrayLike<number>, w: number): Column => rolling(x.length, w, (a, b) => windowSd(x, a, b));
export const rollingMax = (x: ArrayLike<number>, w: number): Column => rolling(x.length, w, (a, b) => windowMax(x, a, b));
export const rollingMin = (x: ArrayLike<number>, w: number): Column => rolling(x.length, w, (a, b) => windowMin(x, a, b));

/** x[i] / x[i - lag] - 1: the simple return over `lag` steps of the series (by index, as the candles come). */
export function pctChange(x: ArrayLike<number>, lag: number): Column {
  const out = nanColumn(x.length);
  for (let i = lag; i < x.length; i++) out[i] = x[i] / x[i - lag] - 1;
  return out;
}

/**
 * Exponentially weighted mean over a window of `span` values: weights (1 - a)^k for the value k steps back,
 * a = 2 / (period + 1) as in a classic EMA, normalised to sum to 1. Same responsiveness as an EMA of that
 * period, but it forgets everything older than `span`. span = 4 x period keeps (1 - a)^span below 0.2%.
 */
export function windowedEma(x: ArrayLike<number>, period: number, span = 4 * period): Column {
  const a = 2 / (period + 1);
  const weights = Array.from({ length: span }, (_, k) => (1 - a) ** k);
  const total = weights.reduce((s, w) => s + w, 0);
  return rolling(x.length, span, (start, end) => {
    let s = 0;
    // Oldest first, like every other window here.
    for (let k = start; k <= end; k++) s += weights[end - k] * x[k];
    return s / total;
  });
}

/** Pearson correlation of x and y over the window; 0 when either is constant (no co-movement to measure). */
export function windowCorrelation(x: ArrayLike<number>, y: ArrayLike<number>, start: number, end: number): number {
  const { cov, varX, varY } = windowMoments(x, y, start, end);
  if (Number.isNaN(cov)) return NaN;
  return varX === 0 || varY === 0 ? 0 : cov / Math.sqrt(varX * varY);
}

/** Regression slope of x on y (beta of x against y) over the window; 0 when y is constant. */
export function windowBeta(x: ArrayLike<number>, y: ArrayLike<number>, start: number, end: number): number {
  const { cov, varY } = windowMoments(x, y, start, end);
  if (Number.isNaN(cov)) return NaN;
  return varY === 0 ? 0 : cov / varY;
}

function windowMoments(x: ArrayLike<number>, y: ArrayLike<number>, start: number, end: number) {
  const mx = windowMean(x, start, end);
  const my = windowMean(y, start, end);
  let cov = 0;
  let varX = 0;
  let varY = 0;
  for (let k = start; k <= end; k++) {
    cov += (x[k] - mx) * (y[k] - my);
    varX += (x[k] - mx) * (x[k] - mx);
    varY += (y[k] - my) * (y[k] - my);
  }
  return { cov, varX, varY };
}

/** Least-squares line through (0, y[start]) .. (n - 1, y[end]): slope per step and R². */
export function windowLinearFit(y: ArrayLike<number>, start: number, end: number): { slope: number; r2: number } {
  const n = end - start + 1;
  const mt = (n - 1) / 2;
  const my = windowMean(y, start, end);
  let sty = 0;
  let stt = 0;
  let syy = 0;
  for (let k = start; k <= end; k++) {
    const t = k - start - mt;
    sty += t * (y[k] - my);
    stt += t * t;
    syy += (y[k] - my) * (y[k] - my);
  }
  const slope = sty / stt;
  // A flat line is perfectly explained by its slope of 0.
  const r2 = syy === 0 ? (Number.isNaN(slope) ? NaN : 1) : (sty * sty) / (stt * syy);
  return { slope, r2 };
}

/** Sample skewness (population moments); 0 when the values do not vary. */
export function windowSkew(x: ArrayLike<number>, start: number, end: number): number {
  const n = end - start + 1;
  const m = windowMean(x, start, end);
  let m2 = 0;
  let m3 = 0;
  for (let k = start; k <= end; k++) {
    const d = x[k] - m;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  if (Number.isNaN(m3)) return NaN;
  return m2 === 0 ? 0 : m3 / m2 ** 1.5;
}

/** a / b - 1, the scale-free distance between two prices. */
export const relativeTo = (a: number, b: number): number => a / b - 1;
