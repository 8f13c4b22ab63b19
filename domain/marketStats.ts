/**
 * What the risk engine needs to know about each market, computed from the cycle's candles in workflow code:
 * the latest candle, ATR and the recent returns (for correlation and VaR). Pure and deterministic.
 *
 * ATR is written out here rather than taken from an indicator library because this module runs inside the
 * workflow sandbox, where a smaller dependency surface keeps the bundle and determinism easy to audit.
 */
import type { Candle } from './types';

export interface MarketStats {
  symbol: string;
  /** Open time (ms UTC) of the newest candle. */
  time: number;
  open: number;
  high: number;
  low: number;
  /** Close of the newest candle: the price positions are marked at. */
  price: number;
  /** Wilder's ATR over 14 candles, in price units. */
  atr: number;
  /** Simple close-to-close returns, oldest first. */
  returns: number[];
  barsPerDay: number;
}

export const ATR_PERIOD = 14;

export function wilderAtr(candles: Candle[], period = ATR_PERIOD): number {
  if (candles.length < period + 1) return NaN;
  const trueRange = (i: number) => {
    const [, , high, low] = candles[i];
    const prevClose = candles[i - 1][4];
    return Math.max(high - low, Math.abs(high - prevClose), Math.abs(low - prevClose));
  };
  let atr = 0;
  for (let i = 1; i <= period; i++) atr += trueRange(i);
  atr /= period;
  for (let i = period + 1; i < candles.length; i++) atr = (atr * (period - 1) + trueRange(i)) / period;
  return atr;
}

export function summarizeMarket(symbol: string, candles: Candle[], timeframeMs: number, maxReturns: number): MarketStats {
  const last = candles[candles.length - 1];
  const from = Math.max(1, candles.length - maxReturns);
  const returns: number[] = [];
  for (let i = from; i < candles.length; i++) returns.push(candles[i][4] / candles[i - 1][4] - 1);
  return {
    symbol, time: last[0], open: last[1], high: last[2], low: last[3], price: last[4],
    atr: wilderAtr(candles), returns, barsPerDay: Math.max(1, Math.round(86_400_000 / timeframeMs)),
  };
}

/** Pearson correlation of the overlapping tails of two return series; NaN with fewer than 10 points. */
export function correlation(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  if (n < 10) return NaN;
  const x = a.slice(a.length - n);
  const y = b.slice(b.length - n);
  const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** Compounds per-candle returns into consecutive non-overlapping daily returns, newest day last. */
export function dailyReturns(returns: number[], barsPerDay: number): number[] {
  const days: number[] = [];
  for (let end = returns.length; end - barsPerDay >= 0; end -= barsPerDay) {
    let growth = 1;
    for (let i = end - barsPerDay; i < end; i++) growth *= 1 + returns[i];
    days.unshift(growth - 1);
  }
  return days;
}

export function standardDeviation(values: number[]): number {
  if (values.length < 2) return NaN;
  const m = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}
