/**
 * `tradectl stats`: a portfolio's live analytics, the cockpit's figures (analytics/: the backtester's metrics on the
 * portfolio's recorded marks and fills), per strategy and per symbol, over a period of market time.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parsePeriod, type PeriodName } from '../analytics/performance';
import { portfolioStats, type PortfolioStats } from '../analytics/portfolioRecords';
import { metricRows, duration, num, pct } from '../backtest/report/format';
import type { Metrics } from '../backtest/types';
import { TemporalSide } from '../dashboard/temporalSide';
import { table } from './format';
import { temporalAddress } from './tradingClient';

function period(value: string): PeriodName {
  try {
    return parsePeriod(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function groupTable(title: string, groups: Record<string, Metrics>): string[] {
  const names = Object.keys(groups);
  if (names.length === 0) return [];
  return ['', table([title, 'trades', 'win rate', 'profit f.', 'net PnL', 'return', 'Sharpe', 'Sortino', 'max DD', 'avg hold'], names.map((n) => {
    const m = groups[n];
    return [n, m.trades, pct(m.winRate, 1), num(m.profitFactor), num(m.netPnl), pct(m.totalReturn), num(m.sharpe), num(m.sortino), pct(m.maxDrawdown), duration(m.averageTradeDurationMs)];
  }))];
}

export function formatStats(s: PortfolioStats): string {
  return [
    `portfolio ${s.portfolioId}: ${s.period} (${iso(s.from)} → ${iso(s.to)} UTC, market time), ${s.cycles} cycles recorded`,
    `equity ${num(s.initial)} → ${num(s.final)}${s.initialCashKnown ? '' : ' (starting cash taken from the first cycle: the workflow did not answer)'}; ${s.openTrades.length} position(s) open`,
    '',
    ...metricRows(s.metrics).map(([k, v]) => `  ${k.padEnd(24)} ${v}`),
    ...groupTable('strategy', s.byStrategy),
    ...groupTable('symbol', s.bySymbol),
  ].join('\n');
}

export function registerStatsCommand(program: Command, out: (line: string) => void): void {
  program
    .command('stats')
    .description("live analytics from the recorded cycles and fills: the backtester's metrics, per strategy and per symbol (the cockpit's figures)")
    .addOption(new Option('-p, --portfolio <id>', 'portfolio id').default('default'))
    .option('--period <name>', 'market time to cover: 1d, 7d, 30d, 90d or all', period, 'all' as PeriodName)
    .option('--json', 'print JSON')
    .action(async (opts) => {
      // The configuration gives the starting cash and the timeframe; without a workflow to ask, the records alone.
      const view = await new TemporalSide(null, temporalAddress()).liveView(opts.portfolio, false);
      const config = view.status?.config ?? view.config;
      const stats = await portfolioStats(opts.portfolio, opts.period, { initialCash: config?.initialCash, timeframe: config?.timeframe });
      if (!stats) throw new Error(`portfolio '${opts.portfolio}' has recorded no cycle`);
      out(opts.json ? JSON.stringify(stats, null, 2) : formatStats(stats));
    });
}
