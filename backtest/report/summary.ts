/** The plain-text summary `tradectl backtest` prints. */
import type { PortfolioConfig } from '../../domain/config';
import { enabledStrategies } from '../../domain/strategies';
import type { BacktestResult, Metrics } from '../types';
import { duration, isoMinute, metricRows, num, pct } from './format';

function groupLines(title: string, groups: Record<string, Metrics>): string[] {
  const names = Object.keys(groups);
  if (names.length === 0) return [];
  const width = Math.max(...names.map((n) => n.length), title.length);
  const header = `${title.padEnd(width)}  trades  win rate  profit f.   net PnL   return  in market  avg hold`;
  return [
    header,
    ...names.map((n) => {
      const m = groups[n];
      return `${n.padEnd(width)}  ${String(m.trades).padStart(6)}  ${pct(m.winRate, 1).padStart(8)}  ${num(m.profitFactor).padStart(9)}  ${num(m.netPnl).padStart(8)}  ${pct(m.totalReturn).padStart(7)}  ${pct(m.exposure, 1).padStart(9)}  ${duration(m.averageTradeDurationMs).padStart(8)}`;
    }),
  ];
}

/** The data each symbol had inside the range, and what the range asked for beyond it. */
function coverageLines(result: BacktestResult): string[] {
  const lines = Object.entries(result.coverage ?? {}).map(([symbol, c]) => `  ${symbol.padEnd(10)} ${isoMinute(c.first)} → ${isoMinute(c.last)} (${c.candles} candles)`);
  return [...(lines.length ? ['data covered (first and last candle traded):', ...lines] : []), ...(result.warnings ?? []).map((w) => `warning: ${w}`)];
}

/** The positions held at the end: each against its own stop, dust named. */
function positionLines(result: BacktestResult): string[] {
  const held = result.finalPositions ?? [];
  if (held.length === 0) return [];
  return held.map((p) => {
    const against = p.stop === undefined ? 'no stop' : `stop ${num(p.stop, 4)}${p.belowStop ? ' (BELOW ITS STOP)' : ''}`;
    return `  ${p.symbol.padEnd(10)} ${num(p.value)} at ${num(p.markPrice, 4)}, ${against}${p.pendingExit ? `, exit pending: ${p.pendingExit}` : ''}${p.dust ? `, dust: ${p.dust}` : ''}`;
  });
}

/** Printed when nothing traded or most of what was weighed was refused: the top reasons and what would change them. */
function refusalLines(result: BacktestResult): string[] {
  const r = result.refusals;
  if (!r) return [];
  const weighed = r.approved + r.refused + r.dropped;
  if (result.metrics.trades > 0 && !(r.refused + r.dropped > weighed / 2)) return [];
  if (weighed === 0) return ['', 'nothing was proposed: no strategy or model signal asked for a trade in this range'];
  return [
    '',
    `${result.metrics.trades === 0 ? 'no trades' : 'most proposals were refused'}: ${r.approved} approved, ${r.refused} refused by the risk rules, ${r.dropped} dropped by the strategy manager. Top reasons:`,
    ...r.top.map((t) => `  ${String(t.count).padStart(6)}  ${t.rule}\n          → ${t.hint}`),
  ];
}

/** What ran: the strategies and their allocations (or the model), the LLM stage as the report states it, the costs. */
function portfolioLines(result: BacktestResult): string[] {
  const config = result.settings.config as PortfolioConfig | undefined;
  if (!config) return [];
  const strategies = config.strategies
    ? enabledStrategies(config.strategies).map((s) => `${s} ${pct(config.strategies!.allocations[s], 0)}`).join(', ')
    : "none: the model's signals drive entries and exits (the default portfolio)";
  const llm = result.llm;
  const stage = !llm ? '' : llm.policy === 'approve'
    ? 'approve (every trade approved at full size, no LLM)'
    : llm.policy === 'fallback'
      ? `fallback (the portfolio's llm.fallback '${config.llm.fallback}' on every trade, no LLM)`
      : `ollama ${config.llm.model}: ${llm.verdicts} verdicts, ${llm.cacheHits ?? 0} from the cache ${llm.cacheDir ?? ''}` +
        `${Object.keys(llm.fallbacks).length ? `, fallbacks: ${Object.entries(llm.fallbacks).map(([k, n]) => `${n} ${k}`).join(', ')}` : ''}`;
  return [
    `strategies: ${strategies}; model signals: ${result.settings.ml ? 'on' : 'off'}`,
    `LLM stage: ${stage}`,
    `costs: fee ${pct(config.paper.feeRate, 2)}, half-spread ${config.paper.slippageBps} bps, venue minimum ${config.paper.minNotional ?? 5}; cash ${num(config.initialCash)}`,
  ];
}

export function formatSummary(result: BacktestResult): string {
  const belowStop = (result.finalPositions ?? []).filter((p) => p.belowStop).length;
  const dust = (result.finalPositions ?? []).filter((p) => p.dust).length;
  const lines = [
    `backtest ${isoMinute(result.from)} → ${isoMinute(result.to)} UTC, ${result.cycles} cycles`,
    ...portfolioLines(result),
    ...coverageLines(result),
    `equity ${num(result.initialCash)} → ${num(result.finalEquity)}; ${result.openTrades.length} position(s) still open` +
      `${belowStop ? `, ${belowStop} below their stop` : ''}${dust ? `, ${dust} dust` : ''}`,
    ...positionLines(result),
    '',
    ...metricRows(result.metrics).map(([k, v]) => `  ${k.padEnd(24)} ${v}`),
    `  ${'capital in positions'.padEnd(24)} ${pct(result.capitalExposure ?? 0, 1)} (average share of equity; time in market: share of time with a position open)`,
    ...refusalLines(result),
    '',
    ...groupLines('strategy', result.byStrategy),
    '',
    ...groupLines('symbol', result.bySymbol),
  ];
  // Sections that have nothing to say leave no run of blank lines behind.
  return lines.filter((l, i) => l !== '' || lines[i - 1] !== '').join('\n').replace(/\n+$/, '');
}
