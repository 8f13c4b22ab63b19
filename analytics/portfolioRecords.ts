/**
 * Loads what analytics/performance.ts measures from the app database: one equity mark per recorded cycle and every
 * fill of the portfolio's orders, with the strategy of each entry and the reason of each exit taken from the
 * decision the order came from (the rules the risk engine recorded), as the backtest engine takes them.
 *
 * The clock is the market's: a live market's cycles are marked when they finished; a replayed or simulated market
 * runs on its own time, so a cycle is marked at the close of the newest model candle it read (its signals' asOf plus
 * one hour: exact on 1h portfolios, within that hour on shorter timeframes), the clock its fills carry. A cycle with
 * no signal (its model stage failed) takes the time of the cycle before it.
 */
import { exitReasonOfRules } from '../backtest/roundTrips';
import { timeframeToMs } from '../domain/candles';
import { MODEL_TIMEFRAME_MS } from '../domain/modelMarket';
import type { RuleFired, Side } from '../domain/types';
import { openDatabase, type Db } from '../prisma/database';
import { portfolioPerformance, type EquityMark, type PeriodName, type PortfolioActivity, type PortfolioPerformance, type TradeFill } from './performance';

const STRATEGY_RULE = 'strategy:';

/** Why a sell sold: the protective rule of its decision, a trim, a liquidation (no decision), else the signal. */
export function exitReason(order: { type: string; cycleId: string }, rules: readonly RuleFired[] | null): string {
  if (order.type === 'stop') return 'stop-loss';
  if (!rules) return order.cycleId.includes('liquidation') ? 'liquidation' : 'signal-exit';
  return exitReasonOfRules(rules.map((r) => r.rule));
}

/** The strategy a buy came from (its decision names it among the rules); the model's signals otherwise. */
export function entryStrategy(rules: readonly RuleFired[] | null): string {
  const rule = rules?.find((r) => r.rule.startsWith(STRATEGY_RULE));
  return rule ? rule.rule.slice(STRATEGY_RULE.length) : 'model';
}

function parseRules(text: string | undefined | null): RuleFired[] | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as RuleFired[];
  } catch {
    return null;
  }
}

export const isLiveMarket = (market: string) => market.startsWith('live:');

export interface ActivityOptions {
  /** The portfolio's starting cash, from its configuration; without it, the first cycle's equity stands in. */
  initialCash?: number;
  /** The portfolio's candle timeframe, to place its start one candle before the first mark on a replayed market. */
  timeframe?: string;
}

export interface LoadedActivity extends PortfolioActivity {
  /** Recorded cycles (one mark each). */
  cycles: number;
  /** Whether initialCash came from the configuration (false: the first cycle's equity). */
  initialCashKnown: boolean;
  /** The cycle ids behind the marks, in the same order. */
  cycleIds: string[];
}

type CycleRow = { id: string; cycleNo: number; marketSource: string; startedAt: Date; finishedAt: Date; equity: number; recordedAt: Date };
type FillRow = Awaited<ReturnType<typeof readFills>>[number];

interface PortfolioRecords {
  cycles: CycleRow[];
  /** Newest signal candle per cycle id. */
  asOf: Map<string, number | undefined>;
  fills: FillRow[];
}

const CYCLE_FIELDS = { id: true, cycleNo: true, marketSource: true, startedAt: true, finishedAt: true, equity: true, recordedAt: true } as const;

function readFills(db: Db, portfolioId: string) {
  return db.fill.findMany({
    where: { order: { portfolioId } },
    orderBy: [{ timestamp: 'asc' }, { orderId: 'asc' }, { seq: 'asc' }],
    select: {
      orderId: true, price: true, quantity: true, fee: true, timestamp: true,
      order: { select: { symbol: true, side: true, type: true, cycleId: true, decision: { select: { rules: true } } } },
    },
  });
}

/** Cycles recorded at or after `since` (all without it), with their signals' newest candle. */
async function readCycles(db: Db, portfolioId: string, since?: Date): Promise<{ cycles: CycleRow[]; asOf: Map<string, number | undefined> }> {
  const cycles = await db.cycle.findMany({
    where: { portfolioId, ...(since && { recordedAt: { gte: since } }) },
    orderBy: [{ cycleNo: 'asc' }, { startedAt: 'asc' }],
    select: CYCLE_FIELDS,
  });
  const times = cycles.length === 0 ? [] : await db.signal.groupBy({
    by: ['cycleId'],
    where: since ? { cycleId: { in: cycles.map((c) => c.id) } } : { cycle: { portfolioId } },
    _max: { asOf: true },
  });
  return { cycles, asOf: new Map(times.map((t) => [t.cycleId, t._max.asOf?.getTime()])) };
}

async function readRecords(db: Db, portfolioId: string): Promise<PortfolioRecords> {
  const [{ cycles, asOf }, fills] = await Promise.all([readCycles(db, portfolioId), readFills(db, portfolioId)]);
  return { cycles, asOf, fills };
}

/**
 * A portfolio's records as last read, brought up to date by reading only what changed: recorded cycles are never
 * rewritten with other figures (a retried recordCycle writes the same record), so new ones are those recorded since
 * the newest one read; fills are read again whenever an order changed. Two cheap aggregates tell what changed.
 * Why: a page of a 10,000-cycle portfolio reads 10,000 rows (about 300 ms on SQLite); the cockpit's pages refresh on
 * every cycle and its candles and analytics ask again right after the page (bench/dashboard.ts measures both).
 */
export class RecordsCache {
  private readonly entries = new Map<string, { records: PortfolioRecords; cycleVersion: string; orderVersion: string }>();

  async records(db: Db, portfolioId: string): Promise<PortfolioRecords> {
    const [cycleAgg, orderAgg] = await Promise.all([
      db.cycle.aggregate({ where: { portfolioId }, _count: { _all: true }, _max: { recordedAt: true } }),
      db.order.aggregate({ where: { portfolioId }, _count: { _all: true }, _max: { updatedAt: true } }),
    ]);
    const cycleVersion = `${cycleAgg._count._all}:${cycleAgg._max.recordedAt?.getTime()}`;
    const orderVersion = `${orderAgg._count._all}:${orderAgg._max.updatedAt?.getTime()}`;
    const entry = this.entries.get(portfolioId);
    if (!entry || entry.records.cycles.length > cycleAgg._count._all) {
      const records = await readRecords(db, portfolioId);
      this.entries.set(portfolioId, { records, cycleVersion, orderVersion });
      return records;
    }
    let { cycles, asOf, fills } = entry.records;
    if (entry.cycleVersion !== cycleVersion) {
      const newest = cycles.reduce((m, c) => Math.max(m, c.recordedAt.getTime()), 0);
      const fresh = await readCycles(db, portfolioId, new Date(newest));
      const ids = new Set(fresh.cycles.map((c) => c.id));
      cycles = [...cycles.filter((c) => !ids.has(c.id)), ...fresh.cycles].sort((a, b) => a.cycleNo - b.cycleNo || a.startedAt.getTime() - b.startedAt.getTime());
      asOf = new Map([...asOf, ...fresh.asOf]);
    }
    if (entry.orderVersion !== orderVersion) fills = await readFills(db, portfolioId);
    const records = { cycles, asOf, fills };
    this.entries.set(portfolioId, { records, cycleVersion, orderVersion });
    return records;
  }
}

/** The portfolio's marks and fills; null when it has recorded no cycle. `cache` keeps them between calls. */
export async function loadPortfolioActivity(portfolioId: string, options: ActivityOptions = {}, db: Db = openDatabase(), cache?: RecordsCache): Promise<LoadedActivity | null> {
  const { cycles, asOf: asOfByCycle, fills: fillRows } = cache ? await cache.records(db, portfolioId) : await readRecords(db, portfolioId);
  if (cycles.length === 0) return null;

  const marks: EquityMark[] = [];
  let previous: number | undefined;
  const pending: EquityMark[] = [];
  for (const c of cycles) {
    const asOf = asOfByCycle.get(c.id);
    const time = isLiveMarket(c.marketSource) ? c.finishedAt.getTime() : asOf !== undefined ? asOf + MODEL_TIMEFRAME_MS : previous;
    const mark: EquityMark = { cycleNo: c.cycleNo, time: time ?? NaN, equity: c.equity };
    marks.push(mark);
    if (time === undefined) pending.push(mark);
    else {
      // Cycles before the first one with a clock take its time.
      for (const p of pending.splice(0)) p.time = time;
      previous = time;
    }
  }
  // No cycle had a clock at all (every model stage failed): fall back to when they finished.
  pending.forEach((p, i) => (p.time = cycles[i].finishedAt.getTime()));

  const fills: TradeFill[] = fillRows.map((f) => {
    const rules = parseRules(f.order.decision?.rules);
    const side = f.order.side as Side;
    return {
      time: f.timestamp.getTime(), symbol: f.order.symbol, side, price: f.price, quantity: f.quantity, fee: f.fee, orderId: f.orderId,
      strategy: side === 'buy' ? entryStrategy(rules) : '',
      exitReason: side === 'sell' ? exitReason(f.order, rules) : 'entry',
    };
  });

  const last = cycles[cycles.length - 1];
  const [positions, signals] = await Promise.all([
    db.positionSnapshot.findMany({ where: { cycleId: last.id }, select: { symbol: true, marketPrice: true } }),
    db.signal.findMany({ where: { cycleId: last.id }, select: { symbol: true, lastPrice: true } }),
  ]);
  const lastPrices: Record<string, number> = {};
  for (const s of signals) if (s.lastPrice != null) lastPrices[s.symbol] = s.lastPrice;
  for (const p of positions) if (p.marketPrice != null) lastPrices[p.symbol] = p.marketPrice;

  const first = cycles[0];
  const firstMark = marks[0].time;
  let start: number;
  if (isLiveMarket(first.marketSource)) start = first.startedAt.getTime();
  else {
    const candleMs = options.timeframe ? timeframeToMs(options.timeframe) : marks.length > 1 ? Math.max(0, marks[1].time - firstMark) : 0;
    start = firstMark - candleMs;
  }
  return {
    initialCash: options.initialCash ?? first.equity,
    initialCashKnown: options.initialCash !== undefined,
    start: Math.min(start, firstMark),
    marks,
    fills,
    lastPrices,
    cycles: cycles.length,
    cycleIds: cycles.map((c) => c.id),
  };
}

export type PortfolioStats = { portfolioId: string; cycles: number; initialCashKnown: boolean } & PortfolioPerformance;

/** What `tradectl stats` prints and the cockpit's analytics show: the backtester's figures over a period. */
export async function portfolioStats(portfolioId: string, period: PeriodName, options: ActivityOptions = {}, db: Db = openDatabase(), cache?: RecordsCache): Promise<PortfolioStats | null> {
  const activity = await loadPortfolioActivity(portfolioId, options, db, cache);
  if (!activity) return null;
  return { portfolioId, cycles: activity.cycles, initialCashKnown: activity.initialCashKnown, ...portfolioPerformance(activity, period) };
}
