/**
 * A portfolio's performance from what it did: its equity marks and its fills, over a chosen period. The figures are
 * the backtester's own (backtest/metrics.ts computeMetrics and groupMetrics, backtest/roundTrips.ts RoundTripBook,
 * the ledger's realised PnL), fed the way the backtest engine feeds them, so a live portfolio and a backtest of it
 * are measured by one implementation (tests/unit/analytics/performance.test.ts holds the two equal on a real run).
 * Pure: the dashboard and `tradectl stats` load the inputs (./portfolioRecords.ts).
 */
import { computeMetrics, groupMetrics, type CurvePoint } from '../backtest/metrics';
import { RoundTripBook } from '../backtest/roundTrips';
import type { BacktestFill, ClosedTrade, Metrics, OpenTrade } from '../backtest/types';
import { applyFill, LedgerError, newBook } from '../domain/ledger';
import type { PortfolioBook } from '../domain/types';

/** Equity after one cycle, on the market's clock. */
export interface EquityMark extends CurvePoint {
  cycleNo: number;
}

/** One fill as the analytics need it: buys carry the strategy that opened the trade, sells why they sold. */
export interface TradeFill extends Pick<BacktestFill, 'time' | 'symbol' | 'side' | 'price' | 'quantity' | 'fee'> {
  /** Buys: the strategy of the entry (`model` for the model's signals). */
  strategy: string;
  /** Sells: stop-loss, trailing-stop, take-profit, trim, liquidation or signal-exit. */
  exitReason: string;
  /** Fills of one order are booked together, then its round trip is settled (as a cycle's trades are in a backtest). */
  orderId: string;
}

export interface PortfolioActivity {
  initialCash: number;
  /** When the portfolio started, on the marks' clock: the curve starts there at initialCash. */
  start: number;
  marks: EquityMark[];
  /** In booking order. */
  fills: TradeFill[];
  /** Latest marked price per symbol (for open trades). */
  lastPrices: Record<string, number>;
}

export const PERIODS = { '1d': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, '90d': 90 * 86_400_000, all: Infinity } as const;
export type PeriodName = keyof typeof PERIODS;

export function parsePeriod(value: string | undefined): PeriodName {
  const name = value ?? 'all';
  if (!(name in PERIODS)) throw new Error(`unknown period '${name}': use one of ${Object.keys(PERIODS).join(', ')}`);
  return name as PeriodName;
}

export interface PortfolioPerformance {
  period: PeriodName;
  from: number;
  to: number;
  /** Equity at the start of the period and at its end. */
  initial: number;
  final: number;
  metrics: Metrics;
  byStrategy: Record<string, Metrics>;
  bySymbol: Record<string, Metrics>;
  /** Round trips closed in the period, oldest first. */
  trades: ClosedTrade[];
  openTrades: OpenTrade[];
}

export interface RoundTrips {
  closed: ClosedTrade[];
  open: OpenTrade[];
  /** The ledger after every fill (cash is not tracked: only quantities and average prices matter here). */
  book: PortfolioBook;
}

/**
 * Books the fills into round trips as the backtest engine does: buys at cost, sells with the ledger's realised PnL
 * (net of both legs' fees), each order's round trip settled once its fills are in. A sell of more than the book
 * holds (an asset adopted by reconciliation, not bought through an order) counts only what the book held.
 */
export function roundTrips(fills: readonly TradeFill[], lastPrices: Record<string, number>): RoundTrips {
  const trips = new RoundTripBook();
  // Cash is unbounded here: the portfolio's cash also moves by reconciliation, which no fill shows.
  let book = newBook(Infinity, 0);
  const settle = (orderId: string | undefined, symbols: Set<string>) => {
    if (orderId === undefined) return;
    for (const symbol of symbols) trips.settle(symbol, Boolean(book.positions[symbol]));
    symbols.clear();
  };
  let currentOrder: string | undefined;
  const touched = new Set<string>();
  for (const f of fills) {
    if (f.orderId !== currentOrder) {
      settle(currentOrder, touched);
      currentOrder = f.orderId;
    }
    touched.add(f.symbol);
    if (f.side === 'buy') {
      book = applyFill(book, f.symbol, 'buy', { price: f.price, quantity: f.quantity, fee: f.fee, timestamp: f.time });
      // A top-up joins the open round trip, which keeps the strategy that opened it.
      trips.buy(f.symbol, f.strategy, f.time, f.price, f.quantity, f.fee);
      continue;
    }
    const held = book.positions[f.symbol]?.quantity ?? 0;
    if (!(held > 0)) continue;
    const quantity = Math.min(f.quantity, held);
    const before = book.realizedPnlToday;
    try {
      book = applyFill(book, f.symbol, 'sell', { price: f.price, quantity, fee: f.fee * (quantity / f.quantity), timestamp: f.time });
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      continue;
    }
    trips.sell(f.symbol, f.time, f.price, quantity, f.fee * (quantity / f.quantity), book.realizedPnlToday - before, f.exitReason);
  }
  settle(currentOrder, touched);
  return { closed: trips.closed, open: trips.openTrades(book.positions, lastPrices), book };
}

/** Equity at `time`: the last mark at or before it, else the starting cash. */
function equityAt(activity: PortfolioActivity, time: number): number {
  let equity = activity.initialCash;
  for (const m of activity.marks) {
    if (m.time > time) break;
    equity = m.equity;
  }
  return equity;
}

/** The curve the metrics read: the starting point, then every mark (the backtest engine's equityCurve). */
export function equityCurve(activity: PortfolioActivity): CurvePoint[] {
  return [{ time: activity.start, equity: activity.initialCash }, ...activity.marks.map((m) => ({ time: m.time, equity: m.equity }))];
}

/**
 * The backtester's figures over the period ending at the last mark: the whole life, or the last day, week, month
 * or quarter of market time (then measured from the equity at the period's start, on the trades closed within it).
 */
export function portfolioPerformance(activity: PortfolioActivity, period: PeriodName = 'all', trips = roundTrips(activity.fills, activity.lastPrices)): PortfolioPerformance {
  const full = equityCurve(activity);
  const end = full[full.length - 1].time;
  const from = Math.max(activity.start, end - PERIODS[period]);
  const whole = from <= activity.start;
  const initial = whole ? activity.initialCash : equityAt(activity, from);
  const curve = whole ? full : [{ time: from, equity: initial }, ...full.filter((p) => p.time > from)];
  const trades = trips.closed.filter((t) => whole || t.exitTime > from);
  const openIntervals = trips.open.map((t) => ({ strategy: t.strategy, symbol: t.symbol, interval: [t.entryTime, end] as const }));
  return {
    period,
    from,
    to: end,
    initial,
    final: curve[curve.length - 1].equity,
    metrics: computeMetrics({ initial, curve, start: from, end, trades, openIntervals: openIntervals.map((o) => o.interval) }),
    byStrategy: groupMetrics(initial, from, end, trades, (t) => t.strategy, openIntervals.map((o) => ({ key: o.strategy, interval: o.interval }))),
    bySymbol: groupMetrics(initial, from, end, trades, (t) => t.symbol, openIntervals.map((o) => ({ key: o.symbol, interval: o.interval }))),
    trades,
    openTrades: trips.open,
  };
}

/** The drawdown chart's series: the backtester's own, from the running peak at each mark. */
export { drawdownSeries } from '../backtest/metrics';
