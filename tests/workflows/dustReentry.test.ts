/**
 * Issue 11, defect 1, the live scenario through the real workflows: a live portfolio on the loopback Binance
 * emulator (real ccxt) buys, its commission is taken in BTC, and its stop-loss sells what can be sold: the fee
 * leftover under one lot stays on the account. Once frozen this way for 158 cycles, the symbol now goes on trading:
 * the leftover's one refused exit marks it as dust (reported once), entries on BTC/USDT are considered again, and
 * the next buy absorbs the dust, so the book holds exactly what the account does.
 */
import { MIN_CANDLES } from '../../activities/features';
import { recentOrders } from '../../activities/persistence/queries';
import { formatStatus } from '../../client/format';
import { portfolioHandle, portfolioOps, startPortfolio } from '../../client/tradingClient';
import { defaultConfig } from '../../domain/config';
import { effectiveStop } from '../../domain/risk/exits';
import type { Candle } from '../../domain/types';
import type { BinanceEmulator } from '../helpers/binanceEmulator';
import { APPROVE_ANSWER } from '../helpers/fakeOllama';
import { BTCUSDT, clearExchangeEnv, emulatedBinance } from '../helpers/executionEnv';
import { webhookReceiver, type WebhookReceiver } from '../helpers/notifyReceivers';
import { bullishBtcWindow } from '../helpers/realCandles';
import { replayConfig, startTestStack, waitFor, type TestStack } from '../helpers/testStack';

const CANDLES = MIN_CANDLES + 20;
const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
const SECRET = 'dust-reentry-webhook-secret-0123456789';
const REJECT_ANSWER = JSON.stringify({ approve: false, confidence: 0.9, reason: 'holding off for now' });

let stack: TestStack;
let emulator: BinanceEmulator;
let receiver: WebhookReceiver;
let bullish: Candle[];
/** The emulator serves this array on every /klines call: the test moves the market by changing its contents. */
const klines: Candle[] = [];

beforeAll(async () => {
  receiver = await webhookReceiver(SECRET);
  Object.assign(process.env, { NOTIFY_WEBHOOK_URL: `${receiver.url}/hooks/trader`, NOTIFY_WEBHOOK_SECRET: SECRET });
  stack = await startTestStack();
  bullish = await bullishBtcWindow(CANDLES);
  klines.push(...bullish);
  emulator = await emulatedBinance({
    symbols: [{ ...BTCUSDT, price: bullish[bullish.length - 1][4] }],
    balances: { USDT: 10_000, BTC: 0 },
    klines: { BTCUSDT: klines },
  });
  await stack.startWorkers();
}, 120_000);
afterAll(async () => {
  await stack?.teardown();
  await emulator?.close();
  await receiver?.close();
  clearExchangeEnv();
  delete process.env.NOTIFY_WEBHOOK_URL;
  delete process.env.NOTIFY_WEBHOOK_SECRET;
});

/** The market now shows `candles`, and the exchange trades at the last one's close (a live order is checked against it). */
function showMarket(candles: Candle[]): void {
  klines.splice(0, klines.length, ...candles);
  emulator.setPrice(BTCUSDT.symbol, candles[candles.length - 1][4]);
}

const btcOrders = (side?: 'BUY' | 'SELL') => emulator.orders().filter((o) => o.symbol === BTCUSDT.symbol && (!side || o.side === side));

it('fee leftovers after a stop-loss become dust, reported once, and the next buy on the symbol absorbs them', async () => {
  // The tests' portfolio (every up signal taken, cooldowns off), here live on the emulator.
  const live = defaultConfig({ mode: 'live' });
  const config = replayConfig({
    mode: 'live', market: 'live:binance', symbols: ['BTC/USDT'], intervalMs: 2_000, candleLimit: CANDLES, initialCash: 10_000, llm: { ...live.llm, fallback: 'approve' },
  });
  await startPortfolio(stack.env.client, config);
  const h = portfolioHandle(stack.env.client, config.portfolioId);
  const notified = (kind: string) => receiver.events().filter((e) => e.portfolioId === config.portfolioId && e.kind === kind);

  // 1. The model leans up: a market buy fills, its commission taken in BTC.
  const entered = await waitFor('the first buy booked', async () => {
    const s = await portfolioOps.status(h);
    return s.positions[0]?.protection ? s : undefined;
  }, 120_000, 250);
  // The reviewer says no from here on, so nothing but the exits trades until the test lets it.
  stack.ollama.behaviour.respond = () => REJECT_ANSWER;
  const [firstBuy] = btcOrders('BUY');
  expect(firstBuy.trades[0].commissionAsset).toBe('BTC');

  // 2. The next candle trades through the stop: the stop-loss sells every whole lot the account holds.
  const stop = effectiveStop(entered.positions[0].protection!).level;
  const last = bullish[bullish.length - 1];
  const crash: Candle = [last[0] + HOUR, last[4], last[4], stop * 0.99, stop * 0.995, last[5]];
  showMarket([...bullish.slice(1), crash]);
  const [sale] = await waitFor('the stop-loss sale', async () => {
    const sells = btcOrders('SELL');
    return sells.some((o) => o.status === 'FILLED') ? sells : undefined;
  }, 60_000, 250);
  const leftover = emulator.balance('BTC').free;
  expect(leftover).toBeGreaterThan(0);
  expect(leftover).toBeLessThan(Number(BTCUSDT.stepSize));

  // 3. (a) The leftover's exit, still pending, is refused once without being sent: the book marks it as dust.
  const dusty = await waitFor('the leftover marked as dust', async () => {
    const s = await portfolioOps.status(h);
    return s.positions[0]?.dust ? s : undefined;
  }, 60_000, 250);
  expect(dusty.positions).toEqual([expect.objectContaining({ symbol: 'BTC/USDT', dust: expect.objectContaining({ minNotional: 5 }) })]);
  expect(dusty.positions[0].quantity).toBeCloseTo(leftover, 12);
  expect(formatStatus(dusty)).toMatch(/BTC\/USDT\s.*dust: BTC\/USDT amount/);
  const dustCycle = dusty.cyclesRun;
  const buysBeforeDust = btcOrders('BUY').length;

  // 4. The market turns up again (the same stretch, whole weeks later) while the reviewer still says no: with the
  // dust there, entries on BTC/USDT are considered every cycle, and the refused exit is not tried again.
  showMarket(bullish.map(([t, ...ohlcv]) => [t + Math.ceil(((CANDLES + 2) * HOUR) / WEEK) * WEEK, ...ohlcv] as Candle));
  const reviewsBefore = stack.ollama.chatRequests().length;
  const held = await waitFor('three cycles on dust', async () => {
    const s = await portfolioOps.status(h);
    return s.cyclesRun >= dustCycle + 3 ? s : undefined;
  }, 60_000, 250);
  const reviews = stack.ollama.chatRequests().slice(reviewsBefore);
  expect(reviews.length).toBeGreaterThanOrEqual(2);
  expect(reviews.every((r) => JSON.stringify(r.messages).includes('BTC/USDT'))).toBe(true);
  expect(held.positions[0].dust).toBeDefined();
  // Dust is no exposure: the risk report counts nothing in positions.
  const exposure = (await portfolioOps.risk(h)).report?.usage.find((u) => u.limit === 'maxTotalExposure');
  expect(exposure?.used).toBe(0);

  // (b) Recorded once: one refused sell order (never sent), one exit.not_executed notification.
  const refusedSells = (await recentOrders(config.portfolioId, 50)).filter((o) => o.side === 'sell' && o.status === 'rejected');
  expect(refusedSells).toHaveLength(1);
  expect(refusedSells[0].rejectReason).toBe(dusty.positions[0].dust!.reason);
  expect(btcOrders('SELL')).toHaveLength(1);
  expect(btcOrders('BUY')).toHaveLength(buysBeforeDust);
  const notExecuted = await waitFor('the dust notification', async () => (notified('exit.not_executed').length > 0 ? notified('exit.not_executed') : undefined), 30_000);
  expect(notExecuted).toEqual([expect.objectContaining({ data: expect.objectContaining({ symbol: 'BTC/USDT', reason: expect.stringMatching(/^dust: /) }) })]);

  // 5. (c) The reviewer approves: a new buy is placed and filled, and the dust is folded into that position.
  stack.ollama.behaviour.respond = () => APPROVE_ANSWER;
  const reentered = await waitFor('the re-entry booked', async () => {
    const s = await portfolioOps.status(h);
    return btcOrders('BUY').length > buysBeforeDust && s.positions[0] && !s.positions[0].dust ? s : undefined;
  }, 60_000, 250);
  const rebuy = btcOrders('BUY')[buysBeforeDust];
  expect(rebuy.status).toBe('FILLED');
  const rebought = rebuy.executedQty - rebuy.trades.reduce((fee, t) => fee + t.commission, 0);
  expect(reentered.positions[0].quantity).toBeCloseTo(leftover + rebought, 10);
  expect(reentered.positions[0].quantity).toBeCloseTo(emulator.balance('BTC').free, 10);
  // The combined position gets the entry's own protective levels, armed afresh (no stale pending stop of the dust).
  expect(reentered.positions[0].protection?.pending).toBeUndefined();

  // 6. (d) The book is the account, and every order went out once.
  await portfolioOps.stop(h);
  const final = await h.result();
  expect(final.book.positions['BTC/USDT']?.quantity).toBeCloseTo(emulator.balance('BTC').free, 10);
  expect(final.book.cash).toBeCloseTo(emulator.balance('USDT').free, 6);
  const ids = emulator.orders().map((o) => o.clientOrderId);
  expect(new Set(ids).size).toBe(ids.length);
  const rows = await recentOrders(config.portfolioId, 50);
  expect(new Set(rows.map((o) => o.id)).size).toBe(rows.length);
  expect(notified('exit.not_executed')).toHaveLength(1);
  expect(emulator.unknownRequests).toEqual([]);

  console.log(JSON.stringify({
    firstBuy: { qty: firstBuy.executedQty, feeBtc: firstBuy.trades[0].commission }, stop, sold: sale.executedQty, leftover,
    dustCycle, cyclesOnDust: held.cyclesRun - dustCycle, reviewsWhileDust: reviews.length, refusedSells: refusedSells.length,
    rebuy: { cycle: reentered.cyclesRun, qty: rebuy.executedQty }, bookBtc: final.book.positions['BTC/USDT']?.quantity, accountBtc: emulator.balance('BTC').free,
    notExecuted: notified('exit.not_executed').length,
  }));
}, 240_000);
