/**
 * A symbol's candlestick chart: the candles of the market the portfolio's cycles came from, up to the portfolio's own
 * market time (a replayed market is never shown past the candle the portfolio stands on), read through the
 * market-data activity's function; its orders' fills as entry and exit markers; the stop and take-profit every
 * position had, cycle by cycle, as level series (from the position snapshots); the open position's stop, take-profit
 * and entry as price lines.
 */
import { fetchMarketData } from '../../activities/market';
import type { LoadedActivity } from '../../analytics/portfolioRecords';
import { isLiveMarket } from '../../analytics/portfolioRecords';
import { timeframeToMs } from '../../domain/candles';
import type { Db } from '../../prisma/database';
import type { PositionRow } from './portfolio';

export const MAX_CHART_CANDLES = 2_000;
const MIN_CHART_CANDLES = 200;

export interface ChartMarker {
  /** Open of the candle it sits on, seconds. */
  time: number;
  side: 'buy' | 'sell';
  /** entry, or why it sold: stop-loss, trailing-stop, take-profit, trim, liquidation, signal-exit. */
  reason: string;
  price: number;
  quantity: number;
  orderId: string;
}

/**
 * The protective levels in force from a candle on: a point without stop and take-profit is a gap (nothing held,
 * or nothing armed), so a line never joins two trades.
 */
export interface LevelPoint {
  /** Open of the candle, seconds. */
  time: number;
  stop?: number;
  takeProfit?: number;
}

/** The levels a cycle left on a position of the symbol, by cycle id (cycles that held nothing are absent). */
export type RecordedLevels = Map<string, { stop?: number; takeProfit?: number }>;

export interface CandleChart {
  symbol: string;
  market: string;
  timeframe: string;
  candles: { time: number; open: number; high: number; low: number; close: number }[];
  markers: ChartMarker[];
  /** Every position's stop and take-profit over time, past trades included. */
  levels: LevelPoint[];
  priceLines: { price: number; title: string; kind: 'stop' | 'take-profit' | 'entry' }[];
  /** Why there are no candles, when there are none. */
  problem?: string;
}

/** One marker per order: its quantity-weighted price, on the candle of its first fill (or the last candle shown). */
export function orderMarkers(activity: LoadedActivity, symbol: string, firstOpen: number, lastOpen: number, tfMs: number): ChartMarker[] {
  const byOrder = new Map<string, ChartMarker & { notional: number }>();
  for (const f of activity.fills) {
    if (f.symbol !== symbol) continue;
    const open = Math.min(Math.floor(f.time / tfMs) * tfMs, lastOpen);
    if (open < firstOpen) continue;
    const m = byOrder.get(f.orderId);
    if (m) {
      m.quantity += f.quantity;
      m.notional += f.quantity * f.price;
      m.price = m.notional / m.quantity;
    } else {
      byOrder.set(f.orderId, {
        time: open / 1000, side: f.side, reason: f.side === 'buy' ? 'entry' : f.exitReason, price: f.price, quantity: f.quantity,
        orderId: f.orderId, notional: f.quantity * f.price,
      });
    }
  }
  return [...byOrder.values()].map(({ notional: _n, ...m }) => m).sort((a, b) => a.time - b.time);
}

/** The levels the portfolio's position snapshots of `symbol` carry. */
export async function recordedLevels(db: Db, portfolioId: string, symbol: string): Promise<RecordedLevels> {
  const rows = await db.positionSnapshot.findMany({
    where: { symbol, cycle: { portfolioId }, OR: [{ stopPrice: { not: null } }, { takeProfitPrice: { not: null } }] },
    select: { cycleId: true, stopPrice: true, takeProfitPrice: true },
  });
  return new Map(rows.map((r) => [r.cycleId, { ...(r.stopPrice !== null && { stop: r.stopPrice }), ...(r.takeProfitPrice !== null && { takeProfit: r.takeProfitPrice }) }]));
}

/**
 * One point per candle a cycle ended in, from the first candle shown to the last: the levels the cycle left, which
 * the next candle is checked against (a cycle's mark is its market time, the open of that next candle). The cycle
 * that finds the position gone keeps the levels it sold against, so a line reaches its exit marker, unless the
 * next cycle holds again (then it is the gap between the two trades). Several cycles in one candle: the newest.
 */
export function levelSeries(activity: Pick<LoadedActivity, 'marks' | 'cycleIds'>, levels: RecordedLevels, firstOpen: number, lastOpen: number, tfMs: number): LevelPoint[] {
  const points: LevelPoint[] = [];
  const { marks, cycleIds } = activity;
  let previous: { stop?: number; takeProfit?: number } | undefined;
  marks.forEach((mark, i) => {
    const held = levels.get(cycleIds[i]);
    const next = cycleIds[i + 1] === undefined ? undefined : levels.get(cycleIds[i + 1]);
    const shown = held ?? (previous && !next ? previous : undefined);
    previous = held;
    const open = Math.min(Math.floor(mark.time / tfMs) * tfMs, lastOpen);
    if (!(open >= firstOpen)) return;
    const point: LevelPoint = { time: open / 1000, ...shown };
    const last = points[points.length - 1];
    if (last && last.time > point.time) return;
    if (last && last.time === point.time) points[points.length - 1] = point;
    else if (shown || !last || last.stop !== undefined || last.takeProfit !== undefined) points.push(point); // one gap point is enough
  });
  return points;
}

export async function candleChart(
  activity: LoadedActivity | null, market: string, symbol: string, timeframe: string, position: PositionRow | undefined, levels: RecordedLevels, now = Date.now(),
): Promise<CandleChart> {
  const tfMs = timeframeToMs(timeframe);
  const lastMark = activity?.marks[activity.marks.length - 1]?.time;
  const closedBy = isLiveMarket(market) || lastMark === undefined ? now : lastMark;
  const firstFill = activity?.fills.find((f) => f.symbol === symbol)?.time ?? activity?.start ?? closedBy;
  const limit = Math.min(MAX_CHART_CANDLES, Math.max(MIN_CHART_CANDLES, Math.ceil((closedBy - firstFill) / tfMs) + 20));
  const priceLines: CandleChart['priceLines'] = [];
  if (position) {
    if (position.stop !== undefined) priceLines.push({ price: position.stop, title: position.stopKind === 'trailing-stop' ? 'trailing stop' : 'stop', kind: 'stop' });
    if (position.takeProfit !== undefined) priceLines.push({ price: position.takeProfit, title: 'take-profit', kind: 'take-profit' });
    priceLines.push({ price: position.avgPrice, title: 'entry', kind: 'entry' });
  }
  const base = { symbol, market, timeframe, priceLines };
  let series;
  try {
    const data = await fetchMarketData({ market, symbols: [symbol], timeframe, limit, cursor: { time: null }, closedBy });
    series = data.snapshots[0].candles;
  } catch (err) {
    return { ...base, candles: [], markers: [], levels: [], problem: `candles of ${market} could not be read: ${(err as Error).message}` };
  }
  const candles = series.map(([t, open, high, low, close]) => ({ time: t / 1000, open, high, low, close }));
  if (candles.length === 0 || !activity) return { ...base, candles, markers: [], levels: [] };
  const [firstOpen, lastOpen] = [series[0][0], series[series.length - 1][0]];
  return {
    ...base, candles, markers: orderMarkers(activity, symbol, firstOpen, lastOpen, tfMs), levels: levelSeries(activity, levels, firstOpen, lastOpen, tfMs),
  };
}
