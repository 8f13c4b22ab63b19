/**
 * Limit entries resting across cycles, through the real portfolio and cycle workflows on replayed Binance candles:
 * placed under the price, polled every cycle, booked when they fill (in a later cycle), cancelled or expired after
 * their time in force, with the workers restarted while orders rest. The book must equal the fills on record.
 */
import { recentOrders } from '../../activities/persistence/queries';
import { startPortfolio, portfolioHandle, portfolioOps } from '../../client/tradingClient';
import { applyFill, newBook } from '../../domain/ledger';
import type { PortfolioBook } from '../../domain/types';
import { replayConfig, startTestStack, waitFor, type TestStack } from '../helpers/testStack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.teardown();
});

async function bookFromDatabase(portfolioId: string, initialCash: number): Promise<PortfolioBook> {
  const orders = await recentOrders(portfolioId, 10_000);
  let book = newBook(initialCash, 0);
  // Fills in market-time order; within one candle a market buy fills at its open, before any stop it trades through.
  const fills = orders
    .flatMap((o) => o.fills.map((f) => ({ o, f })))
    .sort((a, b) => a.f.timestamp.valueOf() - b.f.timestamp.valueOf() || Number(a.o.side === 'sell') - Number(b.o.side === 'sell'));
  for (const { o, f } of fills) book = applyFill(book, o.symbol, o.side as 'buy' | 'sell', { price: f.price, quantity: f.quantity, fee: f.fee, timestamp: 0 });
  return book;
}

describe('resting limit entries', () => {
  it('fill in later cycles or are cancelled after their time in force, across a worker restart, and the book matches the fills', async () => {
    const timeInForceMs = 3 * 3_600_000; // three 1h candles of the replay's clock
    const config = replayConfig({
      symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT'],
      orders: { type: 'limit', offsetBps: 40, timeInForceMs },
    });
    const handle = portfolioHandle(stack.env.client, config.portfolioId);
    let workers = await stack.startWorkers();
    await startPortfolio(stack.env.client, config);

    // Restart every worker while at least one order rests on the paper book.
    await waitFor('a resting limit order', async () => ((await portfolioOps.status(handle)).openOrders?.length ? true : undefined), 120_000);
    await workers.stop();
    workers = await stack.startWorkers();

    const orders = await waitFor('a limit entry filled after resting, and one that timed out', async () => {
      const rows = await recentOrders(config.portfolioId, 1_000);
      const limits = rows.filter((o) => o.type === 'limit');
      const filledLater = limits.some((o) => o.status === 'filled' && o.fills.some((f) => f.timestamp.valueOf() > (o.placedAt?.valueOf() ?? Infinity)));
      const timedOut = limits.some((o) => o.status === 'expired' || o.status === 'cancelled');
      return filledLater && timedOut ? rows : undefined;
    }, 240_000);
    await portfolioOps.stop(handle);
    const final = await handle.result();
    await workers.stop();

    const buys = orders.filter((o) => o.side === 'buy');
    expect(buys.length).toBeGreaterThan(0);
    for (const o of buys) {
      expect(o.type).toBe('limit');
      expect(o.limitPrice! / o.referencePrice!).toBeCloseTo(1 - 40 / 10_000, 10);
      // A resting buy never pays more than its limit.
      for (const f of o.fills) expect(f.price).toBeLessThanOrEqual(o.limitPrice! * (1 + 1e-12));
    }
    for (const o of orders.filter((x) => x.status === 'expired' || x.status === 'cancelled')) {
      expect(o.placedAt).toBeTruthy();
    }
    // Exits never wait for a price.
    expect(orders.filter((o) => o.side === 'sell').every((o) => o.type === 'market')).toBe(true);
    // Nothing rests in the database that the portfolio does not know of, and the reverse.
    const restingInDb = (await recentOrders(config.portfolioId, 1_000)).filter((o) => o.status === 'open' || o.status === 'partially_filled').map((o) => o.id).sort();
    expect((final.openOrders ?? []).map((o) => o.request.clientOrderId).sort()).toEqual(restingInDb);
    // One intent per symbol: never two orders resting on one symbol.
    const bySymbol = new Map<string, number>();
    for (const o of final.openOrders ?? []) bySymbol.set(o.request.symbol, (bySymbol.get(o.request.symbol) ?? 0) + 1);
    expect([...bySymbol.values()].every((n) => n === 1)).toBe(true);

    const expected = await bookFromDatabase(config.portfolioId, config.initialCash);
    expect(final.book.cash).toBeCloseTo(expected.cash, 6);
    expect(Object.keys(final.book.positions).sort()).toEqual(Object.keys(expected.positions).sort());
    for (const [symbol, p] of Object.entries(expected.positions)) expect(final.book.positions[symbol].quantity).toBeCloseTo(p.quantity, 10);
  });
});

describe('native protective stops', () => {
  it('rest as stop orders for every position, follow the trailing stop, fire on the paper book, and the book matches the fills', async () => {
    const config = replayConfig(
      { symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT'], orders: { type: 'market', offsetBps: 0, timeInForceMs: 3_600_000, stops: 'native' } },
      // Tight stops so they fire within a few replayed hours.
      { stopAtrMultiple: 0.6, trailingAtrMultiple: 0.6 },
    );
    const handle = portfolioHandle(stack.env.client, config.portfolioId);
    const workers = await stack.startWorkers();
    await startPortfolio(stack.env.client, config);

    const orders = await waitFor('a stop order that fired and one that was replaced', async () => {
      const rows = await recentOrders(config.portfolioId, 1_000);
      const stops = rows.filter((o) => o.type === 'stop');
      return stops.some((o) => o.status === 'filled') && stops.some((o) => o.status === 'cancelled') ? rows : undefined;
    }, 240_000);
    await portfolioOps.stop(handle);
    const final = await handle.result();
    await workers.stop();

    for (const stop of orders.filter((o) => o.type === 'stop' && o.status === 'filled')) {
      expect(stop.side).toBe('sell');
      // A stop sells at its trigger, or at the open of a candle that gapped through it, less slippage.
      for (const f of stop.fills) expect(f.price).toBeLessThanOrEqual(stop.stopPrice! * (1 + 1e-12));
    }
    // Every position still held has one stop resting for its whole quantity at its current protective level.
    const prices = final.lastPrices;
    for (const p of Object.values(final.book.positions)) {
      if (p.quantity * (prices[p.symbol] ?? 0) < config.risk.minOrderNotional) continue;
      const stops = (final.openOrders ?? []).filter((o) => o.request.symbol === p.symbol && o.request.type === 'stop');
      expect(stops).toHaveLength(1);
      expect(stops[0].request.quantity).toBeCloseTo(p.quantity, 10);
    }
    const expected = await bookFromDatabase(config.portfolioId, config.initialCash);
    expect(final.book.cash).toBeCloseTo(expected.cash, 6);
    expect(Object.keys(final.book.positions).sort()).toEqual(Object.keys(expected.positions).sort());
    for (const [symbol, p] of Object.entries(expected.positions)) expect(final.book.positions[symbol].quantity).toBeCloseTo(p.quantity, 10);
  });
});
