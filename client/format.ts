/** Plain-text tables for the CLI. */
import { effectiveStop } from '../domain/risk/exits';
import type { PortfolioRisk, PortfolioStatus } from '../workflows/messages';

const money = (n: number) => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const qty = (n: number) => Number(n.toPrecision(8)).toString();
const time = (t: Date | string | number | null | undefined) => (t == null ? '-' : new Date(t).toISOString().replace('.000Z', 'Z'));

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

export function formatStatus(s: PortfolioStatus): string {
  const lines = [
    `portfolio  ${s.portfolioId}  (${s.mode.toUpperCase()}, market ${s.market})`,
    `state      ${s.state}${s.pauseReason ? ` (${s.pauseReason})` : ''}${s.dailyHalt ? '  [daily loss limit: no new entries today]' : ''}`,
    ...(s.halt ? [`HALTED     ${s.halt.kind} since ${s.halt.since}: ${s.halt.reason} (resume to end it)`] : []),
    ...(s.riskScore !== undefined ? [`risk       score ${s.riskScore}/100; 1-day 95% VaR ${money(s.valueAtRisk ?? NaN)}`] : []),
    `cash       ${money(s.cash)}    equity ${money(s.equity)}    realised PnL today ${money(s.realizedPnlToday)}`,
    `cycles     ${s.cyclesRun} run; interval ${s.config.intervalMs / 1000}s; symbols ${s.config.symbols.join(' ')}`,
  ];
  if (s.lastCycle) {
    const c = s.lastCycle;
    lines.push(`last cycle #${c.cycleNo} ${c.status} at ${c.finishedAt}, ${c.orders} order(s)${c.error ? ` - ${c.error}` : ''}`);
    lines.push(`           ${c.workflowId}`);
  }
  lines.push('', 'positions');
  lines.push(s.positions.length
    ? table(['symbol', 'quantity', 'avg price', 'stop', 'take-profit', 'note'], s.positions.map((p) => [
      p.symbol, qty(p.quantity), money(p.avgPrice),
      p.protection ? money(effectiveStop(p.protection).level) : '-',
      p.protection ? money(p.protection.takeProfit) : '-',
      p.dust ? `dust: ${p.dust.reason}` : p.protection?.pending ? `exit pending: ${p.protection.pending.rule} since ${time(p.protection.pending.since)}` : '',
    ]))
    : '  (none)');
  lines.push('', 'cooldowns');
  lines.push(s.cooldowns.length ? table(['symbol', 'kind', 'until'], s.cooldowns.map((c) => [c.symbol, c.kind, c.until])) : '  (none)');
  return lines.join('\n');
}

/* The row shapes below come from activities/persistence/queries.ts; typed loosely so the CLI prints what is there. */
type Row = Record<string, any>;

export function formatCycles(rows: Row[]): string {
  if (!rows.length) return '(no cycles recorded yet)';
  return table(
    ['cycle', 'started', 'status', 'market', 'equity', 'orders', 'error'],
    rows.map((c) => [c.cycleNo, time(c.startedAt), c.status, c.marketSource, c.equity == null ? '-' : money(c.equity), c.orderCount ?? c.orders?.length ?? '-', c.error ?? '']),
  );
}

export function formatOrders(rows: Row[]): string {
  if (!rows.length) return '(no orders recorded yet)';
  return table(
    ['order', 'created', 'symbol', 'side', 'status', 'quantity', 'avg price', 'fee', 'mode', 'market'],
    rows.map((o) => [o.id, time(o.createdAt), o.symbol, o.side, o.status, qty(o.filledQuantity), money(o.avgPrice), money(o.fee), o.mode, o.marketSource]),
  );
}

export function formatTrace(t: Row): string {
  return JSON.stringify(t, null, 2);
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function usageCell(u: { used: number; unit: string }): string {
  return u.unit === 'fraction' ? pct(u.used) : u.unit === 'quote' ? money(u.used) : String(u.used);
}

export function formatRisk(r: PortfolioRisk): string {
  const lines: string[] = [];
  if (r.halts.length) r.halts.forEach((h) => lines.push(`HALT ${h.kind}${h.since ? ` since ${h.since}` : ''}: ${h.reason}`));
  else lines.push('no halts');
  if (r.report) {
    const p = r.report.riskScoreParts;
    lines.push(`risk score ${r.report.riskScore}/100 (volatility ${p.volatility.toFixed(2)}, concentration ${p.concentration.toFixed(2)}, correlation ${p.correlation.toFixed(2)}, confidence ${p.confidence.toFixed(2)})`);
    lines.push(`1-day 95% VaR ${money(r.report.valueAtRisk)} (${r.report.valueAtRiskMethod}); equity ${money(r.report.equity)}`);
  } else lines.push('(no cycle has reported risk figures yet)');
  if (r.peakEquity !== undefined) lines.push(`peak equity ${money(r.peakEquity)}; drawdown ${pct(r.drawdown ?? 0)} of at most ${pct(r.limits.maxDrawdown)}`);
  if (r.report) {
    lines.push('', table(['limit', 'used', 'limit value'], r.report.usage.map((u) => [u.limit, usageCell(u), u.unit === 'fraction' ? pct(u.max) : u.unit === 'quote' ? money(u.max) : String(u.max)])));
  }
  const l = r.limits;
  lines.push('', 'other limits');
  lines.push(table(['rule', 'setting'], [
    ['minOrderNotional', money(l.minOrderNotional)], ['maxTradeNotional', money(l.maxTradeNotional)], ['minConfidence', String(l.minConfidence)],
    ['correlation', `halve above ${l.correlationLimit}, refuse above ${l.correlationRejectAbove} (${l.correlationWindowDays} days)`],
    ['sizing', `risk ${pct(l.riskPerTrade)} per trade to a ${l.stopAtrMultiple}x ATR stop; ${l.kellySizing === false ? 'Kelly off' : `Kelly x${l.kellyFraction} capped at ${pct(l.kellyCap)}`}`],
    ['exits', `stop ${l.stopAtrMultiple}x ATR, take-profit ${l.rewardToRisk}R, trailing ${l.trailingAtrMultiple}x ATR`],
    ['rebalancing', `trim above ${pct(l.trimAbove)}; top up only with cash above ${pct(l.deployCashAbove)}`],
    ['cooldowns', `buy ${l.cooldowns.buyMs / 60_000} min, sell ${l.cooldowns.sellMs / 60_000} min, hold ${l.cooldowns.holdMs / 60_000} min; override on a ${pct(l.cooldowns.overrideMove)} move`],
    ['drawdown', `halt at ${pct(l.maxDrawdown)}${l.liquidateOnDrawdown ? ' and liquidate' : ''}`],
    ['trading day', `starts ${l.tradingDayOffsetMs / 60_000} min after 00:00 UTC`],
  ]));
  if (r.tradeStats) lines.push('', `closed trades: ${r.tradeStats.wins} won, ${r.tradeStats.losses} lost`);
  return lines.join('\n');
}
