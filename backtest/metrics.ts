/**
 * Performance metrics of a backtest, pure.
 *
 * Conventions (crypto trades every day, so a year is 365 days):
 * - periodic returns are DAILY: the equity at the last mark of each UTC day, the first day measured from the
 *   starting equity; Sharpe = mean / sample standard deviation × √365, Sortino = mean / downside deviation × √365
 *   with target 0 and the downside deviation taken over all days (√(Σ min(r,0)² / n)); risk-free rate 0;
 * - CAGR compounds the total return over the span in 365.25-day years;
 * - max drawdown is the largest fall from a running peak of the marked equity; its duration runs from that peak
 *   to the mark that regains it (or to the end when it never does);
 * - exposure is the share of the span during which at least one position (of the group) was open;
 * - per strategy and per symbol, the curve is the starting cash plus the cumulative PnL of the group's closed
 *   trades, stepped at their exits: what the group alone earned, on the same capital.
 */
import type { ClosedTrade, Metrics } from './types';

export const DAY_MS = 86_400_000;
const YEAR_MS = 365.25 * DAY_MS;
const PERIODS_PER_YEAR = 365;

export interface CurvePoint {
  time: number;
  equity: number;
}

/**
 * Equity at the last mark of each UTC day, oldest first. A mark at exactly midnight closes the day before. Days
 * without a mark (a gap in the data, a group with no trade that day) carry the previous close, up to `endTime`'s day.
 */
export function dailyCloses(curve: readonly CurvePoint[], endTime?: number): CurvePoint[] {
  const dayOf = (time: number) => Math.floor((time - 1) / DAY_MS);
  const days: CurvePoint[] = [];
  let currentDay = NaN;
  const carryTo = (day: number) => {
    while (days.length > 0 && currentDay < day - 1) {
      currentDay += 1;
      days.push({ time: (currentDay + 1) * DAY_MS, equity: days[days.length - 1].equity });
    }
  };
  for (const p of curve) {
    const day = dayOf(p.time);
    if (day === currentDay) {
      days[days.length - 1] = p;
      continue;
    }
    carryTo(day);
    days.push(p);
    currentDay = day;
  }
  if (endTime !== undefined) carryTo(dayOf(endTime) + 1);
  return days;
}

/** Simple returns between consecutive daily closes, the first one from `initial`. */
export function dailyReturns(curve: readonly CurvePoint[], initial: number, endTime?: number): number[] {
  const closes = dailyCloses(curve, endTime);
  const returns: number[] = [];
  let previous = initial;
  for (const c of closes) {
    returns.push(previous > 0 ? c.equity / previous - 1 : 0);
    previous = c.equity;
  }
  return returns;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;
}

export function sharpeRatio(returns: readonly number[]): number {
  if (returns.length < 2) return 0;
  const m = mean(returns);
  const sd = Math.sqrt(returns.reduce((s, r) => s + (r - m) ** 2, 0) / (returns.length - 1));
  return sd > 0 ? (m / sd) * Math.sqrt(PERIODS_PER_YEAR) : 0;
}

export function sortinoRatio(returns: readonly number[]): number {
  if (returns.length < 2) return 0;
  const downside = Math.sqrt(returns.reduce((s, r) => s + Math.min(0, r) ** 2, 0) / returns.length);
  if (downside > 0) return (mean(returns) / downside) * Math.sqrt(PERIODS_PER_YEAR);
  // No losing day: unbounded when it made money, meaningless otherwise.
  return mean(returns) > 0 ? Infinity : 0;
}

/** The fall from the running peak at each point, as a negative fraction (what the drawdown charts draw). */
export function drawdownSeries(curve: readonly CurvePoint[]): number[] {
  let peak = -Infinity;
  return curve.map((p) => {
    peak = Math.max(peak, p.equity);
    return peak > 0 ? p.equity / peak - 1 : 0;
  });
}

export function maxDrawdown(curve: readonly CurvePoint[], endTime: number): { depth: number; durationMs: number } {
  if (curve.length === 0) return { depth: 0, durationMs: 0 };
  let peak = curve[0].equity;
  let peakTime = curve[0].time;
  let worst = { depth: 0, durationMs: 0 };
  // Depth of the drawdown under way since peakTime; its duration is known when the peak is regained.
  let episodeDepth = 0;
  const closeEpisode = (until: number) => {
    if (episodeDepth > worst.depth) worst = { depth: episodeDepth, durationMs: until - peakTime };
    episodeDepth = 0;
  };
  for (const p of curve) {
    if (p.equity >= peak) {
      if (episodeDepth > 0) closeEpisode(p.time);
      peak = p.equity;
      peakTime = p.time;
    } else if (peak > 0) {
      episodeDepth = Math.max(episodeDepth, 1 - p.equity / peak);
    }
  }
  if (episodeDepth > 0) closeEpisode(endTime);
  return worst;
}

/** Length of the union of [start, end] intervals clipped to the span, over the span. */
export function exposure(intervals: ReadonlyArray<readonly [number, number]>, start: number, end: number): number {
  if (!(end > start)) return 0;
  const clipped = intervals
    .map(([a, b]) => [Math.max(a, start), Math.min(b, end)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let runStart = NaN;
  let runEnd = -Infinity;
  for (const [a, b] of clipped) {
    if (a > runEnd) {
      if (runEnd > runStart) covered += runEnd - runStart;
      runStart = a;
      runEnd = b;
    } else runEnd = Math.max(runEnd, b);
  }
  if (runEnd > runStart) covered += runEnd - runStart;
  return covered / (end - start);
}

export interface MetricsInput {
  initial: number;
  /** Marks oldest first; the first is normally the starting equity at `start`. */
  curve: readonly CurvePoint[];
  start: number;
  end: number;
  trades: readonly ClosedTrade[];
  /** Positions still open at the end, as [entryTime, end]. */
  openIntervals?: ReadonlyArray<readonly [number, number]>;
}

export function computeMetrics(input: MetricsInput): Metrics {
  const { initial, curve, start, end, trades } = input;
  const final = curve.length > 0 ? curve[curve.length - 1].equity : initial;
  const totalReturn = initial > 0 ? final / initial - 1 : 0;
  const years = (end - start) / YEAR_MS;
  const cagr = years > 0 && final > 0 && initial > 0 ? (final / initial) ** (1 / years) - 1 : final <= 0 ? -1 : 0;
  const returns = dailyReturns(curve.filter((p) => p.time > start), initial, end);
  const drawdown = maxDrawdown(curve, end);
  const wins = trades.filter((t) => t.pnl > 0);
  const grossProfit = wins.reduce((s, t) => s + t.pnl, 0);
  const grossLoss = -trades.filter((t) => t.pnl < 0).reduce((s, t) => s + t.pnl, 0);
  const intervals: Array<readonly [number, number]> = [...trades.map((t) => [t.entryTime, t.exitTime] as const), ...(input.openIntervals ?? [])];
  return {
    totalReturn,
    cagr,
    sharpe: sharpeRatio(returns),
    sortino: sortinoRatio(returns),
    maxDrawdown: drawdown.depth,
    maxDrawdownDurationMs: drawdown.durationMs,
    trades: trades.length,
    winRate: trades.length > 0 ? wins.length / trades.length : 0,
    profitFactor: grossLoss > 0 ? grossProfit / grossLoss : grossProfit > 0 ? Infinity : 0,
    exposure: exposure(intervals, start, end),
    averageTradeDurationMs: trades.length > 0 ? mean(trades.map((t) => t.exitTime - t.entryTime)) : 0,
    netPnl: trades.reduce((s, t) => s + t.pnl, 0),
  };
}

/** The group's own curve: starting cash plus the cumulative PnL of its closed trades at their exits. */
export function realizedCurve(initial: number, start: number, trades: readonly ClosedTrade[]): CurvePoint[] {
  const curve: CurvePoint[] = [{ time: start, equity: initial }];
  let equity = initial;
  for (const t of [...trades].sort((a, b) => a.exitTime - b.exitTime)) {
    equity += t.pnl;
    curve.push({ time: t.exitTime, equity });
  }
  return curve;
}

/** Metrics of each group of closed trades (by strategy, by symbol), each on its own realised curve. */
export function groupMetrics(
  initial: number,
  start: number,
  end: number,
  trades: readonly ClosedTrade[],
  keyOf: (t: ClosedTrade) => string,
  openIntervals: ReadonlyArray<{ key: string; interval: readonly [number, number] }> = [],
): Record<string, Metrics> {
  const keys = [...new Set([...trades.map(keyOf), ...openIntervals.map((o) => o.key)])].sort();
  return Object.fromEntries(
    keys.map((key) => {
      const own = trades.filter((t) => keyOf(t) === key);
      const open = openIntervals.filter((o) => o.key === key).map((o) => o.interval);
      return [key, computeMetrics({ initial, curve: realizedCurve(initial, start, own), start, end, trades: own, openIntervals: open })];
    }),
  );
}
