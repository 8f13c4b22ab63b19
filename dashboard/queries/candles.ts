/**
 * A symbol's candlestick chart: the candles of the market the portfolio's cycles came from, up to the portfolio's own
 * market time (a replayed market is never shown past the candle the portfolio stands on), read through the
 * market-data activity's function; its orders' fills as entry and exit markers; the open position's stop,
 * take-profit and entry as price lines.
 */
import { fetchMarketData } from '../../activities/market';
import type { LoadedActivity } from '../../analytics/portfolioRecords';
import { isLiveMarket } from '../../analytics/portfolioRecords';
import { timeframeToMs } from '../../domain/candles';
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

export interface CandleChart {
  symbol: string;
  market: string;
  timeframe: string;
  candles: { time: number; open: number; high: number; low: number; close: number }[];
  markers: ChartMarker[];
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

export async function candleChart(activity: LoadedActivity | null, market: string, symbol: string, timeframe: string, position: PositionRow | undefined, now = Date.now()): Promise<CandleChart> {
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
    return { ...base, candles: [], markers: [], problem: `candles of ${market} could not be read: ${(err as Error).message}` };
  }
  const candles = series.map(([t, open, high, low, close]) => ({ time: t / 1000, open, high, low, close }));
  if (candles.length === 0 || !activity) return { ...base, candles, markers: [] };
  return { ...base, candles, markers: orderMarkers(activity, symbol, series[0][0], series[series.length - 1][0], tfMs) };
}
