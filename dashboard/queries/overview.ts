/**
 * The overview: every portfolio, from the database (what its cycles recorded) and from Temporal (what its workflow
 * says now), with the figures a trader checks first and the reasons behind a stop or a halt.
 */
import type { Db } from '../../prisma/database';
import type { PortfolioStatus } from '../../workflows/messages';
import type { LiveView, TemporalSide } from '../temporalSide';

export interface PortfolioSummary {
  portfolioId: string;
  mode?: string;
  market?: string;
  /** running, paused, halted, stopping, stopped, failed, ... */
  state: string;
  /** Why it is paused or halted, or what could not be read. */
  stateDetail?: string;
  halted: boolean;
  equity?: number;
  /** Realised PnL of the current trading day (what the daily loss limit counts). */
  pnlToday?: number;
  /** Equity over the starting cash. */
  pnlTotal?: number;
  /** Current fall from the peak equity, a fraction. */
  drawdown?: number;
  riskScore?: number;
  cycles: number;
  lastCycleAt?: number;
  /** A running portfolio whose last cycle is much older than its interval. */
  stale: boolean;
  intervalMs?: number;
}

/** How late a cycle may be before the overview flags it: three intervals, and at least a minute. */
export function staleAfterMs(intervalMs: number | undefined): number {
  return Math.max(3 * (intervalMs ?? 60_000), 60_000);
}

export function stateOf(view: LiveView): { state: string; detail?: string; halted: boolean } {
  const s: PortfolioStatus | undefined = view.status;
  if (s) {
    if (s.halt) return { state: 'halted', detail: `${s.halt.kind} since ${s.halt.since}: ${s.halt.reason}`, halted: true };
    if (s.state === 'paused') return { state: 'paused', ...(s.pauseReason && { detail: s.pauseReason }), halted: false };
    if (s.dailyHalt) return { state: s.state, detail: 'daily loss limit reached: no new entries today', halted: true };
    return { state: s.state, halted: false };
  }
  if (view.workflowStatus) {
    const state = view.workflowStatus === 'COMPLETED' ? 'stopped' : view.workflowStatus.toLowerCase().replace(/_/g, ' ');
    return { state, ...(view.problem && { detail: view.problem }), halted: false };
  }
  return { state: 'unknown', detail: view.problem, halted: false };
}

export interface RecordedPortfolio {
  cycles: number;
  lastCycleAt: number;
  equity: number;
  peak: number;
  mode: string;
  market: string;
  realizedPnlToday: number;
}

/** A portfolio as its recorded cycles tell it: the newest cycle, how many there are, the highest equity among them. */
export function recordedPortfolio(
  last: { finishedAt: Date; equity: number; mode: string; marketSource: string; realizedPnlToday: number }, cycles: number, peak: number | null | undefined,
): RecordedPortfolio {
  return {
    cycles, lastCycleAt: last.finishedAt.getTime(), equity: last.equity, peak: peak ?? last.equity,
    mode: last.mode, market: last.marketSource, realizedPnlToday: last.realizedPnlToday,
  };
}

async function recorded(db: Db): Promise<Map<string, RecordedPortfolio>> {
  const groups = await db.cycle.groupBy({ by: ['portfolioId'], _count: { _all: true }, _max: { cycleNo: true, equity: true } });
  // Every portfolio's newest cycle in one query (not one per portfolio): the rows of its highest cycle number, the
  // latest started first; only the fields shown (a cycle's strategy report is large).
  const candidates = await db.cycle.findMany({
    where: { OR: groups.flatMap((g) => (g._max.cycleNo === null ? [] : [{ portfolioId: g.portfolioId, cycleNo: g._max.cycleNo }])) },
    orderBy: [{ startedAt: 'desc' }],
    select: { portfolioId: true, finishedAt: true, equity: true, mode: true, marketSource: true, realizedPnlToday: true },
  });
  const newest = new Map<string, (typeof candidates)[number]>();
  for (const c of candidates) if (!newest.has(c.portfolioId)) newest.set(c.portfolioId, c);
  const out = new Map<string, RecordedPortfolio>();
  for (const g of groups) {
    const last = newest.get(g.portfolioId);
    if (last) out.set(g.portfolioId, recordedPortfolio(last, g._count._all, g._max.equity));
  }
  return out;
}

export function summarize(portfolioId: string, rec: RecordedPortfolio | undefined, view: LiveView, memo: { mode?: string; market?: string } = {}, now = Date.now()): PortfolioSummary {
  const s = view.status;
  const { state, detail, halted } = stateOf(view);
  const config = s?.config ?? view.config;
  const equity = s?.equity ?? rec?.equity;
  const lastCycleAt = s?.lastCycle ? Date.parse(s.lastCycle.finishedAt) : rec?.lastCycleAt;
  const drawdown = view.risk?.drawdown ?? (rec && rec.peak > 0 ? Math.max(0, 1 - rec.equity / rec.peak) : undefined);
  return {
    portfolioId,
    mode: s?.mode ?? config?.mode ?? rec?.mode ?? memo.mode,
    // The market the cycles came from (a paper portfolio may have fallen back to sim:42).
    market: rec?.market ?? s?.market ?? memo.market,
    state,
    ...(detail && { stateDetail: detail }),
    halted,
    ...(equity !== undefined && { equity }),
    ...((s?.realizedPnlToday ?? rec?.realizedPnlToday) !== undefined && { pnlToday: s?.realizedPnlToday ?? rec?.realizedPnlToday }),
    ...(equity !== undefined && config && { pnlTotal: equity - config.initialCash }),
    ...(drawdown !== undefined && { drawdown }),
    ...(s?.riskScore !== undefined && { riskScore: s.riskScore }),
    cycles: Math.max(rec?.cycles ?? 0, s?.cyclesRun ?? 0),
    ...(lastCycleAt !== undefined && { lastCycleAt }),
    stale: state === 'running' && (lastCycleAt === undefined ? false : now - lastCycleAt > staleAfterMs(config?.intervalMs)),
    ...(config && { intervalMs: config.intervalMs }),
  };
}

export interface Overview {
  portfolios: PortfolioSummary[];
  /** Why Temporal's side is missing, when it is. */
  temporalProblem?: string;
}

export async function overview(db: Db, temporal: TemporalSide): Promise<Overview> {
  const [rec, workflows] = await Promise.all([recorded(db), temporal.portfolioWorkflows()]);
  const listed = Array.isArray(workflows) ? workflows : [];
  const memos = new Map(listed.map((w) => [w.portfolioId, w]));
  const ids = [...new Set([...listed.map((w) => w.portfolioId), ...rec.keys()])].sort();
  const portfolios = await Promise.all(ids.map(async (id) => {
    // The risk query (the drawdown since the peak the workflow keeps) only of running portfolios.
    const view = await temporal.liveView(id, memos.get(id)?.status === 'RUNNING');
    return summarize(id, rec.get(id), view, memos.get(id));
  }));
  // Running portfolios first, then by id.
  portfolios.sort((a, b) => Number(b.state === 'running' || b.state === 'paused' || b.halted) - Number(a.state === 'running' || a.state === 'paused' || a.halted));
  return { portfolios, ...(!Array.isArray(workflows) && { temporalProblem: workflows.problem }) };
}
