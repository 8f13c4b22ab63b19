/**
 * The paper broker's lifecycle on real Binance 1h candles (../shared/data/ohlcv): limit orders that rest and fill in
 * parts against later candles, expiry on the market clock, stops that fire (and fire on the exchange emulator at
 * the same candle), cancels, the paper account for reconciliation, and the per-exchange fee schedule.
 */
import path from 'node:path';
import {
  cancelAllOpenOrders, cancelOrder, fetchAccountSnapshot, placeOrder, placeProtectiveStop, pollOrder, reconcileAccount, type PlaceOrderInput,
} from '../../../activities/execution';
import { paperFees } from '../../../activities/execution/paperFees';
import { loadReplaySeries } from '../../../activities/market/replaySource';
import { findOrder } from '../../../activities/persistence/orderStore';
import { applyFill, newBook } from '../../../domain/ledger';
import type { Candle, OrderRequest } from '../../../domain/types';
import { closeDatabases } from '../../../prisma/database';
import { clearExchangeEnv, emulatedBinance, useTestDatabase } from '../../helpers/executionEnv';
import { orderRequests } from './fixtures';

const OHLCV_DIR = path.resolve(__dirname, '../../../../shared/data/ohlcv');
const MARKET = 'replay:../shared/data/ohlcv';
const HOUR = 3_600_000;
/** 2021-04-09 10:00 UTC: BTC/USDT trades around 58,600 for the next hours, dipping through 58,340 from 13:00. */
const T10 = Date.UTC(2021, 3, 9, 10);
const PAPER = { feeRate: 0.001, slippageBps: 5 };

let series: Candle[];
beforeAll(async () => {
  await useTestDatabase('paper-execution');
  series = await loadReplaySeries(OHLCV_DIR, 'BTC/USDT', '1h');
});
afterAll(async () => {
  clearExchangeEnv();
  await closeDatabases();
});

const candleAt = (time: number) => series.find((c) => c[0] === time)!;

const request = orderRequests({ clientOrderId: 'tt-paper', cycleId: 'paper-cycle', portfolioId: 'paper-test' }, { referencePrice: 58_600 });

function venueAt(time: number) {
  return { mode: 'paper' as const, market: MARKET, timeframe: '1h', cursor: { time }, paper: PAPER };
}

function placing(req: OrderRequest, time: number, balances = { cash: 30_000_000, position: 0 }): PlaceOrderInput {
  return { ...venueAt(time), request: req, balances };
}

describe('paper limit orders against real candles', () => {
  it('rest, then fill in parts at the limit as candles trade through it, each fill within the candle volume', async () => {
    const req = request({ type: 'limit', quantity: 376.43, limitPrice: 58_340 });
    const placed = await placeOrder(placing(req, T10));
    expect(placed).toMatchObject({ status: 'open', fills: [], placedAt: T10 });

    const seen: { hour: number; status: string; fills: number }[] = [];
    let known = 0;
    let last = placed;
    for (let hour = 11; hour <= 17 && last.status !== 'filled'; hour++) {
      const time = Date.UTC(2021, 3, 9, hour);
      const { order, newFills } = await pollOrder({ ...venueAt(time), clientOrderId: req.clientOrderId, knownFillCount: known });
      expect(newFills).toEqual(order.fills.slice(known));
      for (const fill of newFills) {
        const candle = candleAt(fill.timestamp);
        expect(candle[3]).toBeLessThan(58_340); // only candles that traded below the limit fill a buy
        expect(fill.price).toBe(58_340); // a resting order gets its limit
        expect(fill.quantity).toBeLessThanOrEqual(0.1 * candle[5]); // at most 10% of the candle's volume
        expect(fill.fee).toBeCloseTo(fill.price * fill.quantity * PAPER.feeRate, 6); // maker fee (flat rate on replay)
      }
      known = order.fills.length;
      last = order;
      seen.push({ hour, status: order.status, fills: order.fills.length });
    }
    expect(seen.slice(0, 3)).toEqual([
      { hour: 11, status: 'open', fills: 0 },
      { hour: 12, status: 'open', fills: 0 }, // low 58350: touched near, not through
      { hour: 13, status: 'partially_filled', fills: 1 },
    ]);
    expect(last.status).toBe('filled');
    expect(last.fills.length).toBeGreaterThan(2);
    expect(last.filledQuantity).toBeCloseTo(376.43, 8);
    expect((await findOrder(req.clientOrderId))?.fills).toHaveLength(last.fills.length);

    // Polling again at an older cursor changes nothing: fills are a function of the candles, append-only.
    const replayed = await pollOrder({ ...venueAt(Date.UTC(2021, 3, 9, 18)), clientOrderId: req.clientOrderId, knownFillCount: known });
    expect(replayed.newFills).toEqual([]);
  });

  it('a marketable limit order takes liquidity at once, never beyond its limit', async () => {
    const next = candleAt(T10 + HOUR)[1];
    const req = request({ type: 'limit', quantity: 0.5, limitPrice: next + 1 });
    const placed = await placeOrder(placing(req, T10));
    expect(placed.status).toBe('filled');
    expect(placed.avgPrice).toBeGreaterThan(next);
    expect(placed.avgPrice).toBeLessThanOrEqual(next + 1);
  });

  it('expires on the market clock when its time in force runs out, keeping what it filled', async () => {
    const req = request({ type: 'limit', quantity: 376.43, limitPrice: 58_340, timeInForceMs: 3 * HOUR });
    await placeOrder(placing(req, T10));
    expect((await pollOrder({ ...venueAt(T10 + HOUR), clientOrderId: req.clientOrderId })).order.status).toBe('open');
    // At 12:00 the 13:00 candle is next, and the order's three hours (10:00 + 3h) are up before it.
    expect((await pollOrder({ ...venueAt(T10 + 2 * HOUR), clientOrderId: req.clientOrderId })).order).toMatchObject({ status: 'expired', fills: [] });
  });

  it('refuses what the balances cannot cover, as an exchange would', async () => {
    const req = request({ type: 'limit', quantity: 1, limitPrice: 58_000 });
    expect(await placeOrder(placing(req, T10, { cash: 1_000, position: 0 }))).toMatchObject({
      status: 'rejected', rejectReason: 'insufficient funds: 1 × 58000 needs more than cash 1000.00',
    });
  });

  it('cancel keeps the fills so far; cancelling again, or cancelAllOpenOrders, changes nothing more', async () => {
    const req = request({ portfolioId: 'paper-cancel', type: 'limit', quantity: 376.43, limitPrice: 58_340 });
    await placeOrder(placing(req, T10));
    const cancelled = await cancelOrder({ ...venueAt(T10 + 3 * HOUR), clientOrderId: req.clientOrderId });
    expect(cancelled.order.status).toBe('cancelled');
    expect(cancelled.order.fills).toHaveLength(1); // the 13:00 candle's fill happened before the cancel
    const again = await cancelOrder({ ...venueAt(T10 + 5 * HOUR), clientOrderId: req.clientOrderId, knownFillCount: 1 });
    expect(again.newFills).toEqual([]);
    expect(again.order).toMatchObject({ status: 'cancelled', filledQuantity: cancelled.order.filledQuantity });
    expect(again.order.fee).toBeCloseTo(cancelled.order.fee, 9);

    const other = request({ portfolioId: 'paper-cancel', type: 'limit', quantity: 1, limitPrice: 50_000 });
    await placeOrder(placing(other, T10));
    const all = await cancelAllOpenOrders({ ...venueAt(T10 + 5 * HOUR), portfolioId: 'paper-cancel', symbols: ['BTC/USDT'] });
    expect(all.orders.map((o) => [o.clientOrderId, o.status])).toEqual([[other.clientOrderId, 'cancelled']]);
    expect((await cancelAllOpenOrders({ ...venueAt(T10 + 5 * HOUR), portfolioId: 'paper-cancel', symbols: ['BTC/USDT'] })).orders).toEqual([]);
  });
});

describe('paper market orders', () => {
  it('pay the half-spread plus market impact that grows with size and volatility', async () => {
    const next = candleAt(T10 + HOUR)[1];
    const small = await placeOrder(placing(request({ quantity: 0.001 }), T10));
    const large = await placeOrder(placing(request({ quantity: 300 }), T10));
    const halfSpread = PAPER.slippageBps / 10_000;
    expect(small.avgPrice / next - 1).toBeCloseTo(halfSpread, 5);
    expect(large.avgPrice / next - 1).toBeGreaterThan(halfSpread + 0.001);
    expect(large.fee).toBeCloseTo(large.avgPrice * 300 * PAPER.feeRate, 6);
  });

  it('charge the exchange fee schedule on a live:<exchange> market, the flat rate on replay', () => {
    expect(paperFees(PAPER, MARKET)).toEqual({ maker: 0.001, taker: 0.001 });
    expect(paperFees(PAPER, 'live:kraken')).toEqual({ maker: 0.0016, taker: 0.0026 });
    expect(paperFees({ ...PAPER, exchangeId: 'coinbase' }, MARKET)).toEqual({ maker: 0.006, taker: 0.012 });
  });
});

describe('protective stops in paper, and the same stop on the exchange emulator', () => {
  it('fire at the same candle: paper at the trigger less slippage, the exchange at its price', async () => {
    const T11 = T10 + HOUR;
    const trigger = 58_100;
    const req = request({ portfolioId: 'paper-stop', type: 'stop', side: 'sell', quantity: 0.5, stopPrice: trigger });
    const paper = await placeProtectiveStop(placing(req, T11, { cash: 0, position: 0.5 }));
    expect(paper).toMatchObject({ emulated: false, kind: 'paper', order: { status: 'open' } });

    const emu = await emulatedBinance({ symbols: [{ symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', price: candleAt(T11)[4], tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', maxQty: '9000', minNotional: '5' }] });
    const liveReq = { ...req, clientOrderId: `${req.clientOrderId}-live` };
    const live = await placeProtectiveStop({ ...placing(liveReq, T11), mode: 'live', market: 'live:binance' });
    expect(live).toMatchObject({ emulated: false, kind: 'stop-market', order: { status: 'open' } });

    const firedAt: Record<string, number> = {};
    for (let time = T11 + HOUR; time <= T11 + 6 * HOUR && Object.keys(firedAt).length < 2; time += HOUR) {
      const candle = candleAt(time);
      const paperState = await pollOrder({ ...venueAt(time), clientOrderId: req.clientOrderId });
      if (paperState.order.status === 'filled' && firedAt.paper === undefined) {
        firedAt.paper = time;
        expect(paperState.order.avgPrice).toBeLessThan(trigger);
        expect(paperState.order.avgPrice).toBeGreaterThan(trigger * 0.99);
      }
      // The emulator sees the candle's trading down to its low.
      emu.setPrice('BTCUSDT', candle[3]);
      const liveState = await pollOrder({ ...venueAt(time), mode: 'live', market: 'live:binance', clientOrderId: liveReq.clientOrderId });
      if (liveState.order.status === 'filled' && firedAt.live === undefined) {
        firedAt.live = time;
        expect(liveState.order.avgPrice).toBe(candle[3]);
      }
    }
    // 14:00 is the first candle after placement to trade below 58,100 (low 58,024).
    expect(firedAt).toEqual({ paper: Date.UTC(2021, 3, 9, 14), live: Date.UTC(2021, 3, 9, 14) });
    await emu.close();
  });

  it('a stop the price already passed is refused, as Binance refuses one that would trigger immediately', async () => {
    const req = request({ type: 'stop', side: 'sell', quantity: 0.5, stopPrice: 60_000 });
    const result = await placeProtectiveStop(placing(req, T10, { cash: 0, position: 1 }));
    expect(result).toMatchObject({ emulated: false, order: { status: 'rejected', rejectReason: expect.stringMatching(/^stop price 60000 would trigger immediately/) } });
  });
});

describe('the paper account', () => {
  it('is the initial cash plus the recorded fills; a book that missed a fill drifts and is corrected', async () => {
    const portfolioId = 'paper-account';
    const buy = await placeOrder(placing(request({ portfolioId, quantity: 0.2 }), T10, { cash: 100_000, position: 0 }));
    const sell = await placeOrder(placing(request({ portfolioId, side: 'sell', quantity: 0.05 }), T10 + HOUR, { cash: 0, position: 0.2 }));
    let book = newBook(100_000, T10);
    book = applyFill(book, 'BTC/USDT', 'buy', buy.fills[0]);
    const missedSell = book;
    book = applyFill(book, 'BTC/USDT', 'sell', sell.fills[0]);

    const account = { mode: 'paper' as const, market: MARKET, portfolioId, symbols: ['BTC/USDT'], initialCash: 100_000 };
    const snapshot = await fetchAccountSnapshot(account);
    expect(snapshot.venue).toBe('paper');
    expect(snapshot.balances.USDT.total).toBeCloseTo(book.cash, 8);
    expect(snapshot.balances.BTC.total).toBeCloseTo(0.15, 12);
    expect((await reconcileAccount({ ...account, book })).inSync).toBe(true);

    const drifted = await reconcileAccount({ ...account, book: missedSell, cycleId: 'paper-account-2' });
    expect(drifted.drifts.map((d) => d.asset).sort()).toEqual(['BTC', 'USDT']);
    expect(drifted.corrected.cash).toBeCloseTo(book.cash, 8);
    expect(drifted.corrected.positions['BTC/USDT'].quantity).toBeCloseTo(0.15, 12);
  });
});
