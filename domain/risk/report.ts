/**
 * Portfolio risk figures for `status`, the `risk` query and metrics.
 *
 * Value at risk (95%, one day) by historical simulation: today's positions revalued with each past day's returns;
 * the loss exceeded on 5% of those days. With fewer than 20 whole days of history, per-candle returns are used and
 * the result scaled by sqrt(candles per day), which assumes independent returns (stated in `valueAtRiskMethod`).
 *
 * Risk score, 0 to 100 = 100 x (0.35 volatility + 0.25 concentration + 0.2 correlation + 0.2 (1 - confidence)):
 * - volatility: exposure-weighted daily volatility of the positions, 10% a day or more counting as 1;
 * - concentration: the largest position's weight over maxAssetWeight (1 at the limit);
 * - correlation: average positive pairwise correlation between held positions;
 * - confidence: exposure-weighted model confidence in the held symbols (absent: 0.5).
 */
import type { RiskLimits } from '../config';
import { correlation, dailyReturns, standardDeviation, type MarketStats } from '../marketStats';
import { equity as markedEquity, exposure, positionValue } from '../ledger';
import type { PortfolioBook, RiskReport, Signal } from '../types';
import { effectiveStop } from './exits';

export function portfolioHeat(book: PortfolioBook, prices: Record<string, number>): number {
  let heat = 0;
  for (const p of Object.values(book.positions)) {
    const price = prices[p.symbol] ?? p.avgPrice;
    const stop = p.protection ? effectiveStop(p.protection).level : 0;
    heat += Math.max(0, price - stop) * p.quantity;
  }
  return heat;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function valueAtRisk(book: PortfolioBook, stats: Record<string, MarketStats>): { value: number; method: string } {
  const held = Object.values(book.positions).filter((p) => stats[p.symbol]);
  if (held.length === 0) return { value: 0, method: 'no positions' };
  const barsPerDay = stats[held[0].symbol].barsPerDay;
  const daily = held.map((p) => dailyReturns(stats[p.symbol].returns, barsPerDay));
  const days = Math.min(...daily.map((d) => d.length));
  const useDaily = days >= 20;
  const series = useDaily ? daily.map((d) => d.slice(d.length - days)) : held.map((p) => stats[p.symbol].returns);
  const n = Math.min(...series.map((s) => s.length));
  if (n < 2) return { value: NaN, method: 'not enough history' };
  const pnl: number[] = [];
  for (let t = 0; t < n; t++) {
    let sum = 0;
    held.forEach((p, i) => {
      const s = series[i];
      sum += p.quantity * stats[p.symbol].price * s[s.length - n + t];
    });
    pnl.push(sum);
  }
  pnl.sort((a, b) => a - b);
  const loss = Math.max(0, -quantile(pnl, 0.05));
  return useDaily
    ? { value: loss, method: `historical, ${n} daily returns` }
    : { value: loss * Math.sqrt(barsPerDay), method: `historical, ${n} per-candle returns scaled by sqrt(${barsPerDay})` };
}

export function riskReport(
  book: PortfolioBook, stats: Record<string, MarketStats>, signals: Signal[], limits: RiskLimits,
  extra: { dailyNotional: number; asOf: number },
): RiskReport {
  const prices = Object.fromEntries(Object.values(stats).map((s) => [s.symbol, s.price]));
  const eq = markedEquity(book, prices);
  const exp = exposure(book, prices);
  const held = Object.values(book.positions);
  const weightOf = (symbol: string) => (eq > 0 ? positionValue(book, symbol, prices) / eq : 0);
  const heat = portfolioHeat(book, prices);

  const volOf = (symbol: string) => {
    const s = stats[symbol];
    return s ? standardDeviation(s.returns) * Math.sqrt(s.barsPerDay) : NaN;
  };
  const weighted = (f: (symbol: string) => number, fallback: number) => {
    let total = 0;
    let weight = 0;
    for (const p of held) {
      const v = f(p.symbol);
      const w = positionValue(book, p.symbol, prices);
      if (Number.isFinite(v)) { total += v * w; weight += w; }
    }
    return weight > 0 ? total / weight : fallback;
  };
  const volatility = Math.min(1, weighted(volOf, 0) / 0.1);
  const concentration = Math.min(1, Math.max(0, ...held.map((p) => weightOf(p.symbol))) / limits.maxAssetWeight);
  const pairs: number[] = [];
  for (let i = 0; i < held.length; i++) {
    for (let j = i + 1; j < held.length; j++) {
      const a = stats[held[i].symbol];
      const b = stats[held[j].symbol];
      const c = a && b ? correlation(a.returns, b.returns) : NaN;
      if (Number.isFinite(c)) pairs.push(Math.max(0, c));
    }
  }
  const corr = pairs.length ? pairs.reduce((s, c) => s + c, 0) / pairs.length : 0;
  const confidenceBySymbol = Object.fromEntries(signals.map((s) => [s.symbol, s.confidence]));
  const confidence = weighted((symbol) => confidenceBySymbol[symbol] ?? NaN, 0.5);
  const score = 100 * (0.35 * volatility + 0.25 * concentration + 0.2 * corr + 0.2 * (1 - confidence));
  const var95 = valueAtRisk(book, stats);

  return {
    asOf: extra.asOf,
    equity: eq,
    usage: [
      { limit: 'maxAssetWeight', used: Math.max(0, ...held.map((p) => weightOf(p.symbol))), max: limits.maxAssetWeight, unit: 'fraction' },
      { limit: 'maxTotalExposure', used: eq > 0 ? exp / eq : 0, max: limits.maxTotalExposure, unit: 'fraction' },
      { limit: 'cashBuffer', used: eq > 0 ? book.cash / eq : 0, max: limits.cashBuffer, unit: 'fraction' },
      { limit: 'maxConcurrentPositions', used: held.length, max: limits.maxConcurrentPositions, unit: 'count' },
      { limit: 'maxDailyNotional', used: extra.dailyNotional, max: limits.maxDailyNotional, unit: 'quote' },
      { limit: 'dailyLossLimit', used: book.dayStartEquity > 0 ? Math.max(0, 1 - eq / book.dayStartEquity) : 0, max: limits.dailyLossLimit, unit: 'fraction' },
      { limit: 'maxPortfolioHeat', used: eq > 0 ? heat / eq : 0, max: limits.maxPortfolioHeat, unit: 'fraction' },
    ],
    riskScore: Math.round(score * 10) / 10,
    riskScoreParts: { volatility, concentration, correlation: corr, confidence },
    valueAtRisk: var95.value,
    valueAtRiskMethod: var95.method,
  };
}
