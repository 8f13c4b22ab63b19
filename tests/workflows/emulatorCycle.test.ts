/**
 * A live-mode portfolio through Temporal against the loopback Binance emulator: ccxt's real request building,
 * signing and parsing, with the order's response dropped after the exchange applied it, a 429 on the lookup and a
 * 5xx on the account. The cycle finishes with exactly one order on the exchange, the book in step with the account,
 * and a liquidation that sells the position on the exchange.
 */
import fs from 'node:fs';
import path from 'node:path';
import { computeFeatures, MIN_CANDLES } from '../../activities/features';
import { inferSignals } from '../../activities/inference';
import { recentCycles, recentOrders } from '../../activities/persistence/queries';
import { portfolioHandle, portfolioOps, startPortfolio } from '../../client/tradingClient';
import { parseCandleCsv } from '../../domain/candles';
import { defaultConfig } from '../../domain/config';
import type { Candle } from '../../domain/types';
import type { BinanceEmulator } from '../helpers/binanceEmulator';
import { BTCUSDT, clearExchangeEnv, emulatedBinance } from '../helpers/executionEnv';
import { OHLCV_DIR, startTestStack, waitFor, type TestStack } from '../helpers/testStack';

const CANDLES = MIN_CANDLES + 20;
let stack: TestStack;
let emulator: BinanceEmulator;

/** The first stretch of real BTC candles on which the served model leans up: the test needs an entry to trade. */
async function bullishWindow(): Promise<Candle[]> {
  const all = parseCandleCsv(fs.readFileSync(path.join(OHLCV_DIR, 'binance_BTC-USDT_1h.csv'), 'utf8'), 'btc');
  for (let end = 2_000; end < all.length; end += 7) {
    const candles = all.slice(end - CANDLES, end);
    const snapshot = { symbol: 'BTC/USDT', timeframe: '1h', candles, source: 'live:binance' };
    const [signal] = await inferSignals({ features: await computeFeatures({ snapshots: [snapshot], reference: snapshot } as never) });
    const { up, down } = signal.probabilities;
    if (up > down * 1.3) return candles;
  }
  throw new Error('no bullish stretch found');
}

beforeAll(async () => {
  stack = await startTestStack();
  const candles = await bullishWindow();
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
  const after = await portfolioOps.status(h);
  expect(after.halt?.kind).toBe('emergency');
  expect(after.cash).toBeCloseTo(emulator.balance('USDT').free, 6);
  expect(after.positions.reduce((q, p) => q + p.quantity, 0)).toBeCloseTo(emulator.balance('BTC').free, 10);
  expect(emulator.orders().filter((o) => o.symbol === 'BTCUSDT')).toHaveLength(2);
  await portfolioOps.stop(h);
});
