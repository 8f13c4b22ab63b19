/**
 * One portfolio's page: its curves and live analytics (analytics/, the backtester's figures), positions with their
 * protective levels, resting orders, cooldowns, regime and breaker per symbol, risk limits and their usage, recent
 * cycles (each linked to its workflow in the Temporal Web UI), recent orders and closed trades.
 */
import { recentCycles, recentOrders, type CycleRow, type OrderRow } from '../../activities/persistence/queries';
import { drawdownSeries, portfolioPerformance, type PeriodName, type PortfolioPerformance } from '../../analytics/performance';
import { loadPortfolioActivity, type LoadedActivity, type RecordsCache } from '../../analytics/portfolioRecords';
import { effectiveStop } from '../../domain/risk/exits';
import type { Position } from '../../domain/types';
import type { Db } from '../../prisma/database';
import type { LiveView, TemporalSide } from '../temporalSide';
import { recordedPortfolio, summarize, type PortfolioSummary } from './overview';

export interface PositionRow {
  symbol: string;
  quantity: number;
  avgPrice: number;
  price?: number;
  unrealizedPnl?: number;
  stop?: number;
  stopKind?: 'stop-loss' | 'trailing-stop';
  takeProfit?: number;
  openedAt?: number;
  strategy?: string;
  stopEmulated?: string;
}

export interface RegimeRow {
  symbol: string;
  regime: string;
  breaker: string;
  trendMove?: number;
  volPercentile?: number;
  change24h?: number;
}

export interface PortfolioPage {
  summary: PortfolioSummary;
  view: LiveView;
  timeframe: string;
  symbols: string[];
  performance?: PortfolioPerformance;
  /** Chart series: one point per recorded cycle (market time, seconds), equity (cents) and drawdown (%, 3 decimals). */
  curve: { time: number[]; equity: number[]; drawdown: number[] };
  positions: PositionRow[];
  cooldowns: { symbol: string; kind: string; until: number; leftMs: number }[];
  regimes: { market?: string; rows: RegimeRow[] };
  cycles: CycleRow[];
  orders: OrderRow[];
  initialCashKnown: boolean;
}

async function regimes(db: Db, portfolioId: string): Promise<PortfolioPage['regimes']> {
  const latest = await db.cycle.findFirst({
    where: { portfolioId, strategyReport: { not: null } },
    orderBy: [{ cycleNo: 'desc' }],
    select: { strategyReport: true },
  });
  if (!latest?.strategyReport) return { rows: [] };
  try {
    const report = JSON.parse(latest.strategyReport) as {
      regime?: Record<string, { regime: string | null; breaker: string; trendMove?: number; volPercentile?: number; change24h?: number }>;
      breaker?: { market?: string; bySymbol?: Record<string, string> };
    };
    const rows = Object.entries(report.regime ?? {}).map(([symbol, r]) => ({
      symbol,
      regime: r.regime ?? 'warming up',
      breaker: report.breaker?.bySymbol?.[symbol] ?? r.breaker,
      trendMove: r.trendMove, volPercentile: r.volPercentile, change24h: r.change24h,
    }));
    return { ...(report.breaker?.market && { market: report.breaker.market }), rows };
  } catch {
    return { rows: [] };
  }
}

export function positionRows(view: LiveView, activity: LoadedActivity | null, snapshot: { symbol: string; quantity: number; avgPrice: number }[]): PositionRow[] {
  const prices = activity?.lastPrices ?? {};
  const source: Array<{ symbol: string; quantity: number; avgPrice: number } & Partial<Position>> = view.status?.positions ?? snapshot;
  return source.map((p) => {
    const price = prices[p.symbol];
    const protection = p.protection;
    const stop = protection ? effectiveStop(protection) : undefined;
    return {
      symbol: p.symbol,
      quantity: p.quantity,
      avgPrice: p.avgPrice,
      ...(price !== undefined && { price, unrealizedPnl: p.quantity * (price - p.avgPrice) }),
      ...(stop && { stop: stop.level, stopKind: stop.trailing ? 'trailing-stop' : 'stop-loss' }),
      ...(protection && { takeProfit: protection.takeProfit }),
      ...(p.openedAt !== undefined && { openedAt: p.openedAt }),
      ...(p.strategy !== undefined && { strategy: p.strategy }),
      ...(p.stopEmulated !== undefined && { stopEmulated: p.stopEmulated }),
    };
  });
}

/** The symbols a portfolio without a configuration to ask traded: its latest cycle's signals, then its fills. */
export async function recordedSymbols(db: Db, portfolioId: string, activity: LoadedActivity | null): Promise<string[]> {
  const lastId = activity?.cycleIds[activity.cycleIds.length - 1];
  const signals = lastId ? await db.signal.findMany({ where: { cycleId: lastId }, select: { symbol: true }, orderBy: { symbol: 'asc' } }) : [];
  return [...new Set([...signals.map((s) => s.symbol), ...(activity?.fills.map((f) => f.symbol) ?? [])])];
}

/** null when the portfolio is unknown to both the database and Temporal. */
export async function portfolioPage(db: Db, records: RecordsCache, temporal: TemporalSide, portfolioId: string, period: PeriodName, now = Date.now()): Promise<PortfolioPage | null> {
  const view = await temporal.liveView(portfolioId);
  const config = view.status?.config ?? view.config;
  const [activity, cycles, orders, regime] = await Promise.all([
    loadPortfolioActivity(portfolioId, { initialCash: config?.initialCash, timeframe: config?.timeframe }, db, records),
    recentCycles(portfolioId, 15, db),
    recentOrders(portfolioId, 15, db),
    regimes(db, portfolioId),
  ]);
  if (!activity && !view.status && !view.workflowStatus) return null;
  const last = cycles[0];
  const snapshot = last ? await db.positionSnapshot.findMany({ where: { cycleId: last.id } }) : [];
  // The peak from the marks already loaded: one per recorded cycle, each with that cycle's equity.
  const recorded = last && activity ? recordedPortfolio(last, activity.cycles, activity.marks.reduce((m, k) => Math.max(m, k.equity), -Infinity)) : undefined;
  const performance = activity ? portfolioPerformance(activity, period) : undefined;
  const marks = activity?.marks ?? [];
  const dd = drawdownSeries(marks);
  const symbols = config?.symbols ?? (await recordedSymbols(db, portfolioId, activity));
  return {
    summary: summarize(portfolioId, recorded, view, {}, now),
    view,
    timeframe: config?.timeframe ?? '1h',
    symbols,
    ...(performance && { performance }),
    // Rounded: the page carries one point per cycle, 10,000 of them for a long-running portfolio.
    curve: {
      time: marks.map((m) => Math.round(m.time / 1000)),
      equity: marks.map((m) => Math.round(m.equity * 100) / 100),
      drawdown: dd.map((d) => Math.round(d * 100_000) / 1000),
    },
    positions: positionRows(view, activity, snapshot),
    cooldowns: (view.status?.cooldowns ?? []).map((c) => ({ ...c, until: Date.parse(c.until), leftMs: Math.max(0, Date.parse(c.until) - now) })),
    regimes: regime,
    cycles,
    orders,
    initialCashKnown: activity?.initialCashKnown ?? false,
  };
}
