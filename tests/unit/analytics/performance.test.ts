/**
 * Live analytics are the backtester's figures: a real backtest's fills and marks, fed to analytics/performance.ts
 * as the dashboard and `tradectl stats` feed a portfolio's, give back the backtest's own round trips and metrics.
 */
import path from 'node:path';
import { loadBacktest, runLoadedBacktest, strategySelection } from '../../../backtest';
import type { BacktestResult } from '../../../backtest/types';
import { drawdownSeries, equityCurve, parsePeriod, portfolioPerformance, roundTrips, type PortfolioActivity } from '../../../analytics/performance';

const DATA_DIR = path.join(__dirname, '../../../../shared/data/ohlcv');

let result: BacktestResult;

/**
 * The same figures to a relative 1e-10: the backtest reports an order's fills as one (average price), while the
 * ledger booked them one by one, so an average entry price can differ in its last bits (and rounding both to a fixed
 * number of digits can still split them when they straddle a rounding boundary).
 */
function expectSame(actual: unknown, expected: unknown, where = '$'): void {
  if (typeof actual === 'number' && typeof expected === 'number' && Number.isFinite(actual) && Number.isFinite(expected)) {
    const scale = Math.max(1, Math.abs(actual), Math.abs(expected));
    if (Math.abs(actual - expected) > 1e-10 * scale) expect({ where, actual }).toEqual({ where, actual: expected });
    return;
  }
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    expect({ where, keys: Object.keys(actual).sort() }).toEqual({ where, keys: Object.keys(expected).sort() });
    for (const key of Object.keys(expected)) expectSame((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${where}.${key}`);
    return;
  }
  expect({ where, actual }).toEqual({ where, actual: expected });
}
let activity: PortfolioActivity;

/** The backtest as a portfolio's records: one mark per cycle, one fill per booked trade. */
function asActivity(r: BacktestResult): PortfolioActivity {
  const [start, ...rest] = r.equityCurve;
  const lastPrices: Record<string, number> = {};
  for (const t of r.openTrades) lastPrices[t.symbol] = t.markPrice;
  return {
    initialCash: r.initialCash,
    start: start.time,
    marks: rest.map((p, i) => ({ cycleNo: i + 1, time: p.time, equity: p.equity })),
    fills: r.fills.map((f) => ({
      time: f.time, symbol: f.symbol, side: f.side, price: f.price, quantity: f.quantity, fee: f.fee,
      strategy: f.strategy ?? 'model', exitReason: f.intent, orderId: f.clientOrderId,
    })),
    lastPrices,
  };
}

beforeAll(async () => {
  result = await runLoadedBacktest(await loadBacktest({
    dataDir: DATA_DIR,
    symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'],
    timeframe: '1h',
    from: '2022-05-01',
    to: '2022-08-31',
    strategies: strategySelection(['meanReversion', 'swing', 'dcaGrid'], { regime: { enabled: false }, breaker: { enabled: false } }),
  }));
  activity = asActivity(result);
});

describe('live analytics against the backtester on BTC, ETH and SOL 1h, May to August 2022', () => {
  it('rebuild the backtest round trips from its fills alone', () => {
    expect(result.trades.length).toBeGreaterThan(10);
    const trips = roundTrips(activity.fills, activity.lastPrices);
    expectSame(trips.closed, result.trades);
    expect(trips.open.map((t) => [t.symbol, t.strategy, t.entryTime])).toEqual(result.openTrades.map((t) => [t.symbol, t.strategy, t.entryTime]));
  });

  it('give the backtest metrics, per strategy and per symbol, over the whole run', () => {
    const perf = portfolioPerformance(activity, 'all');
    expect(Object.keys(result.byStrategy).length).toBeGreaterThan(1);
    expectSame(perf.metrics, result.metrics);
    expectSame(perf.byStrategy, result.byStrategy);
    expectSame(perf.bySymbol, result.bySymbol);
    expect(perf.final).toBe(result.finalEquity);
    expect(equityCurve(activity)).toEqual(result.equityCurve.map((p) => ({ time: p.time, equity: p.equity })));
  });

  it('measure a period from the equity at its start, on the trades closed within it', () => {
    const perf = portfolioPerformance(activity, '30d');
    expect(perf.to - perf.from).toBe(30 * 86_400_000);
    const before = activity.marks.filter((m) => m.time <= perf.from).pop()!;
    expect(perf.initial).toBe(before.equity);
    expect(perf.trades.every((t) => t.exitTime > perf.from)).toBe(true);
    expect(perf.trades.length).toBe(result.trades.filter((t) => t.exitTime > perf.from).length);
    expect(perf.metrics.totalReturn).toBeCloseTo(result.finalEquity / before.equity - 1, 12);
    expect(perf.metrics.trades).toBeLessThan(result.metrics.trades);
  });

  it('draw the drawdown from the running peak, its deepest point the max drawdown', () => {
    const dd = drawdownSeries(equityCurve(activity));
    expect(Math.max(...dd)).toBeLessThanOrEqual(0);
    expect(-Math.min(...dd)).toBeCloseTo(result.metrics.maxDrawdown, 12);
  });

  it('refuse an unknown period by name', () => {
    expect(() => parsePeriod('2w')).toThrow("unknown period '2w': use one of 1d, 7d, 30d, 90d, all");
  });
});
