/** Plain-text tables for the CLI. */
import type { PortfolioStatus } from '../workflows/messages';

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
    `cash       ${money(s.cash)}    equity ${money(s.equity)}    realised PnL today ${money(s.realizedPnlToday)}`,
    `cycles     ${s.cyclesRun} run; interval ${s.config.intervalMs / 1000}s; symbols ${s.config.symbols.join(' ')}`,
  ];
  if (s.lastCycle) {
    const c = s.lastCycle;
    lines.push(`last cycle #${c.cycleNo} ${c.status} at ${c.finishedAt}, ${c.orders} order(s)${c.error ? ` - ${c.error}` : ''}`);
    lines.push(`           ${c.workflowId}`);
  }
  lines.push('', 'positions');
  lines.push(s.positions.length ? table(['symbol', 'quantity', 'avg price'], s.positions.map((p) => [p.symbol, qty(p.quantity), money(p.avgPrice)])) : '  (none)');
  lines.push('', 'cooldowns');
  lines.push(s.cooldowns.length ? table(['symbol', 'until'], s.cooldowns.map((c) => [c.symbol, c.until])) : '  (none)');
  return lines.join('\n');
}

/* The row shapes below come from activities/persistence/queries.ts; typed loosely so the CLI prints what is there. */
type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

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
