/** The plain-text summary `tradectl backtest` prints. */
import type { BacktestResult, Metrics } from '../types';
import { duration, isoMinute, metricRows, num, pct } from './format';

function groupLines(title: string, groups: Record<string, Metrics>): string[] {
  const names = Object.keys(groups);
  if (names.length === 0) return [];
  const width = Math.max(...names.map((n) => n.length), title.length);
  const header = `${title.padEnd(width)}  trades  win rate  profit f.   net PnL   return  exposure  avg hold`;
  return [
    header,
    ...names.map((n) => {
      const m = groups[n];
      return `${n.padEnd(width)}  ${String(m.trades).padStart(6)}  ${pct(m.winRate, 1).padStart(8)}  ${num(m.profitFactor).padStart(9)}  ${num(m.netPnl).padStart(8)}  ${pct(m.totalReturn).padStart(7)}  ${pct(m.exposure, 1).padStart(8)}  ${duration(m.averageTradeDurationMs).padStart(8)}`;
    }),
  ];
}

export function formatSummary(result: BacktestResult): string {
  const lines = [
    `backtest ${isoMinute(result.from)} → ${isoMinute(result.to)} UTC, ${result.cycles} cycles`,
    `equity ${num(result.initialCash)} → ${num(result.finalEquity)}; ${result.openTrades.length} position(s) still open`,
    '',
    ...metricRows(result.metrics).map(([k, v]) => `  ${k.padEnd(24)} ${v}`),
    '',
    ...groupLines('strategy', result.byStrategy),
    '',
    ...groupLines('symbol', result.bySymbol),
  ];
  return lines.join('\n');
}
