/**
 * A live-mode portfolio through Temporal against the loopback Binance emulator: ccxt's real request building,
 * signing and parsing, with the order's response dropped after the exchange applied it, a 429 on the lookup and a
 * 5xx on the account. The cycle finishes with exactly one order on the exchange, the book in step with the account,
 * and a liquidation that sells the position on the exchange.
 */
import { MIN_CANDLES } from '../../activities/features';
import { recentIncidents } from '../../activities/persistence/incidentStore';
import { recentCycles, recentOrders } from '../../activities/persistence/queries';
import { portfolioHandle, portfolioOps, startPortfolio } from '../../client/tradingClient';
import { defaultConfig } from '../../domain/config';
import type { BinanceEmulator } from '../helpers/binanceEmulator';
import { BTCUSDT, clearExchangeEnv, emulatedBinance } from '../helpers/executionEnv';
import { bullishBtcWindow } from '../helpers/realCandles';
import { startTestStack, waitFor, type TestStack } from '../helpers/testStack';

const CANDLES = MIN_CANDLES + 20;
let stack: TestStack;
let emulator: BinanceEmulator;

beforeAll(async () => {
  stack = await startTestStack();
  const candles = await bullishBtcWindow(CANDLES);
  emulator = await emulatedBinance({
    symbols: [{ ...BTCUSDT, price: candles[candles.length - 1][4] }],
    balances: { USDT: 10_000, BTC: 0 },
    klines: { BTCUSDT: candles },
  });
  await stack.startWorkers();
});
afterAll(async () => {
  await stack?.teardown();
  await emulator?.close();
  clearExchangeEnv();
});

it('runs a live cycle through Temporal against the emulator, exactly once through a dropped response, a 429 and a 5xx', async () => {
  emulator.inject({ method: 'POST', path: '/api/v3/order', nth: 1, kind: 'drop' });
  emulator.inject({ method: 'GET', path: '/api/v3/order', nth: 1, kind: 'status', status: 429, retryAfterSeconds: 1 });
  emulator.inject({ method: 'GET', path: '/api/v3/account', nth: 1, kind: 'status', status: 503 });
  const base = defaultConfig({ mode: 'live' });
  const config = defaultConfig({
    mode: 'live', portfolioId: `emu${Date.now().toString(36)}`, market: 'live:binance', symbols: ['BTC/USDT'], intervalMs: 60_000,
    candleLimit: CANDLES, initialCash: 10_000,
    risk: { ...base.risk, minConfidence: 0, cooldowns: { ...base.risk.cooldowns, buyMs: 0, sellMs: 0, holdMs: 0 } },
    llm: { ...base.llm, fallback: 'approve' },
  });
  await startPortfolio(stack.env.client, config);
  const h = portfolioHandle(stack.env.client, config.portfolioId);

  const cycle = await waitFor('the first cycle', async () => (await recentCycles(config.portfolioId, 5))[0], 120_000, 250);
  expect(cycle).toMatchObject({ status: 'completed', marketSource: 'live:binance', mode: 'live' });
  const onExchange = emulator.orders().filter((o) => o.symbol === 'BTCUSDT');
  expect(onExchange).toHaveLength(1);
  const [order] = await recentOrders(config.portfolioId, 5);
  expect(order).toMatchObject({ status: 'filled', side: 'buy', mode: 'live' });
  expect(onExchange[0].clientOrderId).toBe(order.id);

  // The book the workflow keeps is what the exchange account holds.
  const status = await waitFor('the cycle applied to the book', async () => {
    const s = await portfolioOps.status(h);
    return s.cyclesRun >= 1 ? s : undefined;
  });
  expect(status.positions[0].quantity).toBeCloseTo(emulator.balance('BTC').free, 8);
  expect(status.cash).toBeCloseTo(emulator.balance('USDT').free, 6);

  await portfolioOps.emergencyStop(h, 'emulator liquidation');
  const liquidation = await waitFor('the liquidation', async () => (await recentCycles(config.portfolioId, 10)).find((c) => c.id.includes('-liquidation-')), 60_000);
  expect(liquidation.error).toBe('liquidation: emulator liquidation');
  // What is left is dust under one lot (the buy's commission was taken in BTC), which no exchange lets anyone sell.
  expect(emulator.balance('BTC').free).toBeLessThan(Number(BTCUSDT.stepSize));
  // The liquidation's record is written just before the portfolio applies its outcome: wait for the book to show it.
  const after = await waitFor('the liquidation applied to the book', async () => {
    const s = await portfolioOps.status(h);
    return s.positions.reduce((q, p) => q + p.quantity, 0) < Number(BTCUSDT.stepSize) ? s : undefined;
  }, 60_000);
  expect(after.halt?.kind).toBe('emergency');
  expect(after.cash).toBeCloseTo(emulator.balance('USDT').free, 6);
  expect(after.positions.reduce((q, p) => q + p.quantity, 0)).toBeCloseTo(emulator.balance('BTC').free, 10);
  expect(emulator.orders().filter((o) => o.symbol === 'BTCUSDT')).toHaveLength(2);
  await portfolioOps.stop(h);
});

it('an order whose outcome stays unknown holds its symbol across cycles, is reported, and is booked once found', async () => {
  emulator.clearFaults();
  const base = defaultConfig({ mode: 'live' });
  const config = defaultConfig({
    mode: 'live', portfolioId: `unk${Date.now().toString(36)}`, market: 'live:binance', symbols: ['BTC/USDT'], intervalMs: 2_000,
    candleLimit: CANDLES, initialCash: emulator.balance('USDT').free,
    risk: { ...base.risk, minConfidence: 0, cooldowns: { ...base.risk.cooldowns, buyMs: 0, sellMs: 0, holdMs: 0 } },
    llm: { ...base.llm, fallback: 'approve' },
  });
  // The buy is applied but its answer lost, every order query lags and the trade history is down: unknown.
  emulator.inject({ method: 'POST', path: '/api/v3/order', nth: 1, kind: 'drop' });
  emulator.inject({ method: 'GET', path: '/api/v3/order', kind: 'status', status: 400, body: { code: -2013, msg: 'Order does not exist.' }, times: 100_000 });
  emulator.inject({ method: 'GET', path: '/api/v3/myTrades', kind: 'status', status: 503, times: 100_000 });
  const ordersBefore = emulator.orders().length;
  await startPortfolio(stack.env.client, config);
  const h = portfolioHandle(stack.env.client, config.portfolioId);

  const [unknown] = await waitFor('the unknown order', async () => {
    const rows = await recentOrders(config.portfolioId, 5);
    return rows.some((o) => o.status === 'unknown') ? rows : undefined;
  }, 120_000, 250);
  const [incident] = await recentIncidents({ portfolioId: config.portfolioId, kind: 'order-outcome-unknown' });
  expect(incident).toMatchObject({ clientOrderId: unknown.id, severity: 'critical', symbol: 'BTC/USDT' });
  // Later cycles follow it and place nothing new on its symbol.
  await waitFor('two more cycles', async () => ((await portfolioOps.status(h)).cyclesRun >= 3 ? true : undefined), 120_000, 250);
  const held = await portfolioOps.status(h);
  expect(held.openOrders).toEqual([expect.objectContaining({ clientOrderId: unknown.id, status: 'unknown' })]);
  expect(emulator.orders()).toHaveLength(ordersBefore + 1);
  expect((await recentOrders(config.portfolioId, 10)).map((o) => o.status)).toEqual(['unknown']);

  // The exchange recovers: the next cycle finds the order and books its fill; the book matches the account.
  emulator.clearFaults();
  await waitFor('the order found and booked', async () => {
    const s = await portfolioOps.status(h);
    return s.positions.length > 0 && (s.openOrders ?? []).length === 0 ? s : undefined;
  }, 120_000, 250);
  await portfolioOps.stop(h);
  const final = await h.result();
  expect((await recentOrders(config.portfolioId, 10)).find((o) => o.id === unknown.id)).toMatchObject({ status: 'filled' });
  expect(emulator.orders().filter((o) => o.clientOrderId === unknown.id)).toHaveLength(1);
  expect(final.book.positions['BTC/USDT']?.quantity ?? 0).toBeCloseTo(emulator.balance('BTC').free, 8);
  expect(final.book.cash).toBeCloseTo(emulator.balance('USDT').free, 6);
}, 300_000);
