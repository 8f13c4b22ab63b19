/**
 * Trust: the backtester and the real Temporal workflows trade alike. The same real Binance candles go through the
 * portfolio and cycle workflows (paper broker, replay market, production workers, a loopback LLM that approves)
 * and through the backtester (runCycle with in-process effects, the same strategy, risk and paper fill code). Both
 * use limit entries that rest across cycles and native stop orders. Every fill must match: time, side, price and
 * quantity, and so must the final cash and positions.
 *
 * What differs by design is neutralised in the configuration: the workflow's trading day and cooldown timers run on
 * workflow time (years after these candles) while the backtester's run on market time, so cooldowns are off and
 * the daily limits are out of reach; the model is off (the backtester serves it precomputed, by hour).
 */
import { recentCycles, recentOrders } from '../../activities/persistence/queries';
import { loadReplaySeries } from '../../activities/market/replaySource';
import { portfolioHandle, portfolioOps, startPortfolio } from '../../client/tradingClient';
import { backtestConfig, parseStrategies, runBacktest, strategySelection } from '../../backtest';
import type { PortfolioConfig } from '../../domain/config';
import { equity } from '../../domain/ledger';
import { OHLCV_DIR, replayConfig, startTestStack, waitFor, type TestStack } from '../helpers/testStack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.teardown();
});

const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
const CYCLES = 40;
const HOUR = 3_600_000;
const STRATEGIES = strategySelection(['smaCross', 'momentum', 'meanReversion'], { smaCross: { fast: 5, slow: 15 } });
const RISK = { dailyLossLimit: 1, maxDrawdown: 1, maxDailyNotional: 1e12, maxTradeNotional: 1e11, minConfidence: 0 };
const ORDERS = { type: 'limit' as const, offsetBps: 15, timeInForceMs: 2 * HOUR, stops: 'native' as const };

interface FillRow { time: number; symbol: string; side: string; price: number; quantity: number }

const sorted = (fills: FillRow[]) => [...fills].sort((a, b) => a.time - b.time || a.symbol.localeCompare(b.symbol) || a.side.localeCompare(b.side));

describe('a backtest and the Temporal workflows on the same candles', () => {
  it('make the same fills and end with the same book', async () => {
    // The backtester's configuration, then the same one as a Temporal portfolio on the replay market.
    const options = { dataDir: OHLCV_DIR, symbols: SYMBOLS, timeframe: '1h', from: 0, to: 1, strategies: STRATEGIES, risk: RISK, orders: ORDERS };
    const btConfig = backtestConfig(options, parseStrategies(STRATEGIES));
    const config: PortfolioConfig = replayConfig(
      { symbols: SYMBOLS, candleLimit: btConfig.candleLimit, strategies: btConfig.strategies, orders: ORDERS, paper: btConfig.paper },
      RISK,
    );
    const handle = portfolioHandle(stack.env.client, config.portfolioId);
    const workers = await stack.startWorkers();
    await startPortfolio(stack.env.client, config);
    await waitFor(`${CYCLES} cycles`, async () => ((await portfolioOps.status(handle)).cyclesRun >= CYCLES ? true : undefined), 300_000, 500);
    await portfolioOps.pause(handle, 'compare with the backtest');
    await portfolioOps.stop(handle);
    const final = await handle.result();
    await workers.stop();

    // The replay's first cycle decides on the first time every symbol has a full window; the last on the final cursor.
    const series = await Promise.all(SYMBOLS.map((s) => loadReplaySeries(OHLCV_DIR, s, '1h')));
    const first = Math.max(...series.map((s) => s[config.candleLimit - 1][0]));
    const last = final.cursor.time!;
    const backtest = await runBacktest({ ...options, from: first, to: last + HOUR, cash: config.initialCash });
    expect(backtest.cycles).toBe(final.cycleNo);

    const orders = await recentOrders(config.portfolioId, 10_000);
    const workflowFills = sorted(orders.flatMap((o) => o.fills.map((f) => ({ time: f.timestamp.valueOf(), symbol: o.symbol, side: o.side, price: f.price, quantity: f.quantity }))));
    const backtestFills = sorted(backtest.fills.filter((f) => f.intent !== 'end-of-data').map((f) => ({ time: f.time, symbol: f.symbol, side: f.side, price: f.price, quantity: f.quantity })));
    // The comparison means something only if both traded, with limit entries and stops among the fills.
    expect(workflowFills.length).toBeGreaterThanOrEqual(4);
    expect(orders.some((o) => o.type === 'limit' && o.fills.length > 0)).toBe(true);
    expect(orders.some((o) => o.type === 'stop')).toBe(true);

    expect(backtestFills.map((f) => [f.time, f.symbol, f.side])).toEqual(workflowFills.map((f) => [f.time, f.symbol, f.side]));
    backtestFills.forEach((f, i) => {
      expect(f.price).toBeCloseTo(workflowFills[i].price, 8);
      expect(f.quantity / workflowFills[i].quantity).toBeCloseTo(1, 9);
    });
    // Every cycle of the workflow recorded what the strategy engine saw and weighed.
    const cycles = await recentCycles(config.portfolioId, 1_000);
    expect(cycles).toHaveLength(final.cycleNo);
    for (const c of cycles) expect(Object.keys(JSON.parse(c.strategyReport!))).toEqual(['regime', 'breaker', 'considered']);
    expect(backtest.finalEquity).toBeCloseTo(equity(final.book, final.lastPrices), 6);
    expect(backtest.openTrades.map((t) => t.symbol).sort()).toEqual(Object.keys(final.book.positions).sort());
  });
});
