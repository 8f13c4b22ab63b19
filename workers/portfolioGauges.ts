/**
 * Gauges of each running portfolio's durable state, read the way tradectl reads it (the `status` and `risk`
 * queries), for the alert rules and the dashboard: halted and why, paused, drawdown from the peak, the cycle interval
 * and when the last cycle finished. Activities cannot report these (a halt lives in the workflow, a paused portfolio
 * runs no activity), so the notify worker asks every PORTFOLIO_GAUGES_MS (default 15 s).
 */
import type { Client } from '@temporalio/client';
import { gauge as registeredGauge } from '../activities/metrics';
import { portfolioOps } from '../client/tradingClient';
import type { PortfolioRisk, PortfolioStatus } from '../workflows/messages';
import { envValue } from '../domain/environment';

const labels = ['portfolio', 'mode'] as const;
const gauge = (name: string, help: string, extra: string[] = []) => registeredGauge(name, help, [...labels, ...extra]);

export const portfolioGauges = {
  up: gauge('trader_portfolio_up', 'Whether the running portfolio answered its status query at the last look (1) or not (0)'),
  halted: gauge('trader_portfolio_halted', 'Whether the portfolio is halted (1), by kind: drawdown, emergency, daily-loss', ['kind']),
  paused: gauge('trader_portfolio_paused', 'Whether an operator paused the portfolio (1)'),
  drawdown: gauge('trader_portfolio_drawdown_ratio', 'Drawdown of the marked equity from its peak since start or the last resume from a halt'),
  interval: gauge('trader_portfolio_interval_seconds', 'Configured time between cycles'),
  lastCycle: gauge('trader_portfolio_last_cycle_timestamp_seconds', 'When the last finished cycle finished, by its status', ['status']),
  lastCompleted: gauge('trader_portfolio_last_completed_cycle_timestamp_seconds', 'When the last cycle that completed finished'),
  failing: gauge('trader_portfolio_failing_cycles', 'Cycles failed in a row since the last one that completed'),
  positions: gauge('trader_portfolio_open_positions', 'Positions held'),
  pnl: gauge('trader_portfolio_pnl', 'Marked equity minus the starting cash, in the quote currency'),
  realizedToday: gauge('trader_portfolio_realized_pnl_today', 'Realised P&L of the current trading day, in the quote currency'),
};

const HALT_KINDS = ['drawdown', 'emergency', 'daily-loss'];

export function setPortfolioGauges(status: PortfolioStatus, risk: PortfolioRisk | undefined): void {
  const l = { portfolio: status.portfolioId, mode: status.mode };
  portfolioGauges.up.set(l, 1);
  const kinds = new Set<string>((risk?.halts ?? []).map((h) => h.kind));
  if (status.halt) kinds.add(status.halt.kind);
  if (status.dailyHalt) kinds.add('daily-loss');
  for (const kind of HALT_KINDS) portfolioGauges.halted.set({ ...l, kind }, kinds.has(kind) ? 1 : 0);
  portfolioGauges.paused.set(l, status.state === 'paused' ? 1 : 0);
  if (risk?.drawdown !== undefined) portfolioGauges.drawdown.set(l, risk.drawdown);
  portfolioGauges.interval.set(l, status.config.intervalMs / 1000);
  if (status.lastCycle) portfolioGauges.lastCycle.set({ ...l, status: status.lastCycle.status }, Date.parse(status.lastCycle.finishedAt) / 1000);
  if (status.lastCompletedCycleAt) portfolioGauges.lastCompleted.set(l, Date.parse(status.lastCompletedCycleAt) / 1000);
  if (status.failingCycles !== undefined) portfolioGauges.failing.set(l, status.failingCycles);
  portfolioGauges.positions.set(l, status.positions.length);
  portfolioGauges.pnl.set(l, status.equity - status.config.initialCash);
  portfolioGauges.realizedToday.set(l, status.realizedPnlToday);
}

async function lookOnce(client: Client): Promise<void> {
  const seen: { status: PortfolioStatus; risk?: PortfolioRisk }[] = [];
  const unanswered: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'portfolioWorkflow' AND ExecutionStatus = 'Running'` })) {
    const handle = client.workflow.getHandle(wf.workflowId);
    try {
      const [status, risk] = await Promise.all([portfolioOps.status(handle), portfolioOps.risk(handle).catch(() => undefined)]);
      seen.push({ status, risk });
    } catch {
      unanswered.push(wf.workflowId.replace(/^portfolio-/, ''));
    }
  }
  // Reset first: a portfolio that stopped (or a halt that ended) must not linger as a stale series.
  for (const g of Object.values(portfolioGauges)) g.reset();
  for (const s of seen) setPortfolioGauges(s.status, s.risk);
  for (const id of unanswered) portfolioGauges.up.set({ portfolio: id, mode: 'unknown' }, 0);
}

export function startPortfolioGauges(client: Client, everyMs = envValue('PORTFOLIO_GAUGES_MS', process.env) ?? 15_000): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> | undefined;
  const tick = () => {
    if (stopped || running) return; // a slow look is never overlapped by the next
    running = lookOnce(client)
      .catch((err) => console.warn(`portfolio gauges: ${(err as Error).message}`))
      .finally(() => { running = undefined; });
  };
  tick();
  const timer = setInterval(tick, Math.max(1_000, everyMs));
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
