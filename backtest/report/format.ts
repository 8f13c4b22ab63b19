/** Number and time formatting shared by the text summary and the HTML report. */
import type { Metrics } from '../types';

export const pct = (x: number, digits = 2) => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : x > 0 ? '∞' : '-∞');
export const num = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : x > 0 ? '∞' : Number.isNaN(x) ? 'n/a' : '-∞');
export const isoMinute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export function duration(ms: number): string {
  if (!(ms > 0)) return '0';
  const hours = ms / 3_600_000;
  if (hours < 48) return `${hours.toFixed(1)}h`;
  return `${(hours / 24).toFixed(1)}d`;
}

/** The metrics as label/value pairs, in the order reports show them. */
export function metricRows(m: Metrics): Array<[string, string]> {
  return [
    ['total return', pct(m.totalReturn)],
    ['CAGR', pct(m.cagr)],
    ['Sharpe (daily, √365)', num(m.sharpe)],
    ['Sortino (daily, √365)', num(m.sortino)],
    ['max drawdown', pct(m.maxDrawdown)],
    ['max drawdown duration', duration(m.maxDrawdownDurationMs)],
    ['trades', String(m.trades)],
    ['win rate', pct(m.winRate, 1)],
    ['profit factor', num(m.profitFactor)],
    ['time in market', pct(m.exposure, 1)],
    ['average trade duration', duration(m.averageTradeDurationMs)],
    ['net PnL', num(m.netPnl)],
  ];
}
