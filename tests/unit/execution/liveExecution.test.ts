/**
 * Live execution through ccxt's real Binance client (request building, HMAC signing, response parsing) against the
 * loopback Binance emulator: exactly-once placement under lost responses, retries on 429 and 5xx, typed refusals,
 * precision and minimums, the limit-order lifecycle, reconciliation, protective stops and the dry exchange check.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  cancelAllOpenOrders, cancelOrder, checkExchange, placeOrder, placeProtectiveStop, pollOrder, reconcileAccount, type PlaceOrderInput,
} from '../../../activities/execution';
import { connect } from '../../../activities/execution/connector';
import { Credentials } from '../../../activities/execution/exchangeSettings';
import { pollLiveOrder } from '../../../activities/execution/liveBroker';
import { fetchMarketData, fetchNextPrice } from '../../../activities/market';
import { loadReplaySeries } from '../../../activities/market/replaySource';
import { recentDrifts } from '../../../activities/persistence/driftStore';
import { findOrder } from '../../../activities/persistence/orderStore';
import { buildCli } from '../../../client/cli';
import { applyFill, newBook } from '../../../domain/ledger';
import type { Fill, OrderRequest, OrderResult, PortfolioBook } from '../../../domain/types';
import type { BinanceEmulator } from '../../helpers/binanceEmulator';
import { API_KEY, API_SECRET, BTCUSDT, emulatedBinance, withRetries } from '../../helpers/executionEnv';
import { exchangeSuite, failureOf, liveVenue, orderRequests } from './fixtures';

const track = exchangeSuite('live-execution');
const freshExchange = async (options: Parameters<typeof emulatedBinance>[0] = {}): Promise<BinanceEmulator> => track(await emulatedBinance(options));
const request = orderRequests({ clientOrderId: 'tt-live', cycleId: 'cycle', portfolioId: 'live-test' });
const VENUE = liveVenue('live:binance');
const placing = (req: OrderRequest): PlaceOrderInput => ({ ...VENUE, request: req, balances: { cash: 0, position: 0 } });

const ordersWithId = (emu: BinanceEmulator, id: string) => emu.orders().filter((o) => o.clientOrderId === id);

/** The account the fills imply, from the emulator's starting balances (USDT 100000, BTC 1). */
function bookFrom(fills: { side: 'buy' | 'sell'; fills: Fill[] }[]): PortfolioBook {
  let book = newBook(100_000, 0);
  book = { ...book, positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 1, avgPrice: 0 } } };
  for (const o of fills) for (const f of o.fills) book = applyFill(book, 'BTC/USDT', o.side, f);
  return book;
}

describe('exactly once: a response dropped at every step', () => {
  /** Places (and for a limit order, follows to filled) one order, the nth request's response dropped. */
  async function scenario(type: 'market' | 'limit', dropAt: number | undefined) {
    const emu = await freshExchange();
    if (dropAt !== undefined) emu.inject({ kind: 'drop', nth: dropAt });
    const req = request(type === 'limit' ? { type, limitPrice: 49_000, quantity: 0.02 } : { quantity: 0.02 });
    const placed = await withRetries(() => placeOrder(placing(req)));
    let order = placed.result;
    const failures = [...placed.failures];
    if (type === 'limit') {
      expect(order.status).toBe('open');
      emu.setPrice('BTCUSDT', 48_900);
      const polled = await withRetries(() => pollOrder({ ...VENUE, clientOrderId: req.clientOrderId, knownFillCount: 0 }));
      failures.push(...polled.failures);
      order = polled.result.order;
      expect(polled.result.newFills).toEqual(order.fills);
    }
    return { emu, req, order, failures };
  }

  it.each(['market', 'limit'] as const)('%s order: one order, its fills saved once, balances in step', async (type) => {
    const clean = await scenario(type, undefined);
    const steps = clean.emu.requests.length;
    // Markets and server time, the lookup, the create (and for the limit order the poll's order and trades).
    expect(clean.emu.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v3/exchangeInfo', 'GET /api/v3/time', 'GET /api/v3/order', 'GET /api/v3/ticker/24hr', 'POST /api/v3/order',
      ...(type === 'limit' ? ['GET /api/v3/order', 'GET /api/v3/myTrades'] : []),
    ]);

    for (let step = 1; step <= steps; step++) {
      const { emu, req, order, failures } = await scenario(type, step);
      const dropped = emu.requests.find((r) => r.outcome === 'dropped');
      expect({ step, dropped: `${dropped?.method} ${dropped?.path}` }).toEqual({ step, dropped: `${clean.emu.requests[step - 1].method} ${clean.emu.requests[step - 1].path}` });
      // A lost create answer is resolved within the attempt (looked up, found); any other lost answer is retried.
      expect(failures.map((f) => f.type)).toEqual(dropped?.method === 'POST' ? [] : ['ExchangeUnavailable']);

      const onExchange = ordersWithId(emu, req.clientOrderId);
      expect(onExchange).toHaveLength(1);
      expect(onExchange[0].status).toBe('FILLED');
      expect(order).toMatchObject({ status: 'filled', filledQuantity: 0.02, exchangeOrderId: String(onExchange[0].orderId) });
      const saved = await findOrder(req.clientOrderId);
      expect(saved).toMatchObject({ status: 'filled', filledQuantity: 0.02 });
      expect(saved!.fills).toEqual(order.fills);
      // The fills are exactly what the account shows: nothing applied twice, nothing missing.
      const reconciled = await reconcileAccount({
        mode: 'live', market: 'live:binance', portfolioId: 'exactly-once', symbols: ['BTC/USDT'], initialCash: 0,
        book: bookFrom([{ side: 'buy', fills: saved!.fills }]),
      });
      expect(reconciled.drifts).toEqual([]);
    }
  });

  it('a lost create answer whose order the lookup cannot see for the whole window is found among the open orders', async () => {
    const emu = await freshExchange();
    const req = request({ type: 'limit', limitPrice: 48_000 });
    // The create lands, its answer is lost; every later lookup by client id lags (-2013). The open orders list it.
    emu.inject({ method: 'POST', path: '/api/v3/order', kind: 'drop' });
    emu.inject({ method: 'GET', path: '/api/v3/order', nth: 2, times: 100, kind: 'status', status: 400, body: { code: -2013, msg: 'Order does not exist.' } });
    const { result, failures } = await withRetries(() => placeOrder(placing(req)));
    expect(failures).toEqual([]);
    expect(result).toMatchObject({ status: 'open', deduplicated: true });
    expect(emu.requests.filter((r) => r.method === 'POST').map((r) => r.outcome)).toEqual(['dropped']);
    expect(ordersWithId(emu, req.clientOrderId)).toHaveLength(1);
    expect((await findOrder(req.clientOrderId))?.status).toBe('open');
  });
});

describe('transient failures retry, none duplicates the order', () => {
  it('a 429 with Retry-After and a 503 are retryable; the next attempt places exactly one order', async () => {
    const emu = await freshExchange();
    emu.inject({ method: 'POST', path: '/api/v3/order', kind: 'status', status: 429, retryAfterSeconds: 3 });
    emu.inject({ method: 'GET', path: '/api/v3/order', nth: 2, kind: 'status', status: 503 });
    const req = request();
    const { result, failures } = await withRetries(() => placeOrder(placing(req)));
    expect(failures.map((f) => [f.type, f.nonRetryable])).toEqual([['ExchangeRateLimited', false], ['ExchangeUnavailable', false]]);
    expect(failures[0].nextRetryDelay).toBe(3_000);
    expect(failures[1].message).toMatch(/503/);
    expect(result.status).toBe('filled');
    expect(ordersWithId(emu, req.clientOrderId)).toHaveLength(1);
  });
});

describe('refusals fail for good, typed, recorded', () => {
  it('insufficient funds', async () => {
    const emu = await freshExchange();
    const req = request({ quantity: 5 });
    const failure = await failureOf(placeOrder(placing(req)));
    expect(failure).toMatchObject({ type: 'InsufficientFunds', nonRetryable: true });
    expect(failure.message).toMatch(/binance create market order tt-live-\d+: InsufficientFunds: .*insufficient balance/);
    expect(await findOrder(req.clientOrderId)).toMatchObject({ status: 'rejected', rejectReason: expect.stringMatching(/^InsufficientFunds: /) });
    expect(ordersWithId(emu, req.clientOrderId)).toHaveLength(0);
  });

  it('an invalid order (limit price outside the allowed band)', async () => {
    await freshExchange();
    const req = request({ type: 'limit', limitPrice: 1_000 });
    const failure = await failureOf(placeOrder(placing(req)));
    expect(failure).toMatchObject({ type: 'InvalidOrder', nonRetryable: true });
    expect(failure.message).toMatch(/PERCENT_PRICE_BY_SIDE/);
    expect((await findOrder(req.clientOrderId))?.status).toBe('rejected');
  });

  it('an unknown symbol, refused before anything is sent', async () => {
    const emu = await freshExchange();
    const req = request({ symbol: 'DOGE/USDT' });
    const failure = await failureOf(placeOrder(placing(req)));
    expect(failure).toMatchObject({ type: 'UnknownSymbol', nonRetryable: true, message: 'binance has no spot market DOGE/USDT' });
    // A symbol the cached list lacks reloads it once (the list may have been truncated) before it is refused.
    expect(emu.requests.map((r) => r.path)).toEqual(['/api/v3/exchangeInfo', '/api/v3/time', '/api/v3/exchangeInfo', '/api/v3/time']);
    expect((await findOrder(req.clientOrderId))?.rejectReason).toMatch(/UnknownSymbol: binance has no spot market DOGE\/USDT/);
  });

  it('bad keys: authentication fails non-retryably and no key appears in any message', async () => {
    const emu = await freshExchange({ echoApiKeyInErrors: true });
    const wrongKey = `X${API_KEY.slice(1)}`;
    process.env.EXCHANGE_API_KEY = wrongKey;
    const req = request();
    const failure = await failureOf(placeOrder(placing(req)));
    expect(failure).toMatchObject({ type: 'AuthenticationFailed', nonRetryable: true });
    // The emulator echoed the key it received; it must not survive into the failure or the record.
    expect(emu.requests.some((r) => r.status === 401)).toBe(true);
    expect(failure.message).toContain('[REDACTED]');
    const recorded = (await findOrder(req.clientOrderId))!.rejectReason!;
    for (const text of [failure.message, failure.stack ?? '', recorded, JSON.stringify(failure)]) {
      expect(text).not.toContain(wrongKey);
      expect(text).not.toContain(API_SECRET);
    }

    process.env.EXCHANGE_API_KEY = API_KEY;
    process.env.EXCHANGE_SECRET = `${API_SECRET.slice(0, -1)}x`;
    const badSignature = await failureOf(placeOrder(placing(request())));
    expect(badSignature).toMatchObject({ type: 'AuthenticationFailed', nonRetryable: true });
    expect(badSignature.message).toMatch(/Signature for this request is not valid/);
    expect(badSignature.message).not.toContain(process.env.EXCHANGE_SECRET);
  });
});

describe('precision and exchange minimums', () => {
  it('rounds the amount down to the lot step and the price to the tick before sending', async () => {
    const emu = await freshExchange();
    await placeOrder(placing(request({ quantity: 0.0123456 })));
    await placeOrder(placing(request({ type: 'limit', quantity: 0.0200009, limitPrice: 49_000.127 })));
    const sent = emu.requests.filter((r) => r.method === 'POST').map((r) => [r.params.type, r.params.quantity, r.params.price]);
    expect(sent).toEqual([['MARKET', '0.01234', undefined], ['LIMIT', '0.02', '49000.13']]);
  });

  it('rejects below the minimum notional or below one lot step without sending, with the reason recorded', async () => {
    const emu = await freshExchange();
    const small = request({ quantity: 0.00005 });
    expect(await placeOrder(placing(small))).toMatchObject({
      status: 'rejected', filledQuantity: 0, rejectReason: 'BTC/USDT notional 0.00005 × 50000 = 2.5 USDT is below the exchange minimum 5 USDT',
    });
    const dust = request({ quantity: 0.000001 });
    expect((await placeOrder(placing(dust))).rejectReason).toBe("BTC/USDT amount rounds to 0 at the market's precision (0.00001)");
    expect(emu.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect((await findOrder(small.clientOrderId))?.status).toBe('rejected');
    expect((await findOrder(dust.clientOrderId))?.status).toBe('rejected');
  });
});

describe('limit order lifecycle', () => {
  it('open → partially filled → filled, each new fill reported once', async () => {
    const emu = await freshExchange();
    const req = request({ type: 'limit', quantity: 0.1, limitPrice: 49_000 });
    expect((await placeOrder(placing(req))).status).toBe('open');

    emu.trade('BTCUSDT', 48_990, 0.03);
    const partial = await pollOrder({ ...VENUE, clientOrderId: req.clientOrderId, knownFillCount: 0 });
    expect(partial.order).toMatchObject({ status: 'partially_filled', filledQuantity: 0.03, avgPrice: 49_000 });
    // Binance took the commission in BTC: the book gets the net quantity and the fee's value in USDT.
    expect(partial.newFills).toHaveLength(1);
    expect(partial.newFills[0].price).toBe(49_000);
    expect(partial.newFills[0].quantity).toBeCloseTo(0.03 * 0.999, 12);
    expect(partial.newFills[0].fee).toBeCloseTo(0.03 * 0.001 * 49_000, 8);

    emu.trade('BTCUSDT', 48_980, 1);
    const filled = await pollOrder({ ...VENUE, clientOrderId: req.clientOrderId, knownFillCount: 1 });
    expect(filled.order).toMatchObject({ status: 'filled', filledQuantity: 0.1 });
    expect(filled.order.fills).toHaveLength(2);
    expect(filled.newFills).toEqual([filled.order.fills[1]]);

    const before = emu.requests.length;
    const again = await pollOrder({ ...VENUE, clientOrderId: req.clientOrderId, knownFillCount: 2 });
    expect(again.newFills).toEqual([]);
    expect(again.order).toMatchObject({ status: 'filled', filledQuantity: 0.1 });
    expect(again.order.fills.map((f) => f.quantity)).toEqual(filled.order.fills.map((f) => f.quantity));
    expect(emu.requests.length).toBe(before);
  });

  it('cancel keeps the fills, unlocks the rest, and is idempotent', async () => {
    const emu = await freshExchange();
    const req = request({ type: 'limit', quantity: 0.1, limitPrice: 48_000 });
    await placeOrder(placing(req));
    emu.trade('BTCUSDT', 47_990, 0.02);
    const cancelled = await cancelOrder({ ...VENUE, clientOrderId: req.clientOrderId });
    expect(cancelled.order).toMatchObject({ status: 'cancelled', filledQuantity: 0.02 });
    expect(cancelled.newFills).toHaveLength(1);
    expect(ordersWithId(emu, req.clientOrderId)[0].status).toBe('CANCELED');
    expect(emu.balance('USDT').locked).toBeCloseTo(0, 6);

    const deletes = () => emu.requests.filter((r) => r.method === 'DELETE').length;
    const sent = deletes();
    expect((await cancelOrder({ ...VENUE, clientOrderId: req.clientOrderId, knownFillCount: 1 })).order).toEqual(cancelled.order);
    expect(deletes()).toBe(sent);
  });

  it('cancelling an order that fills as the cancel arrives is not an error: its real final state is returned', async () => {
    const emu = await freshExchange();
    const req = request({ type: 'limit', quantity: 0.05, limitPrice: 49_500 });
    await placeOrder(placing(req));
    emu.inject({ method: 'DELETE', path: '/api/v3/order', kind: 'hook', action: () => emu.setPrice('BTCUSDT', 49_400) });
    const { order } = await cancelOrder({ ...VENUE, clientOrderId: req.clientOrderId });
    expect(order).toMatchObject({ status: 'filled', filledQuantity: 0.05 });
    expect(emu.requests.find((r) => r.method === 'DELETE')?.status).toBe(400);
  });

  it('a limit order past its time in force is cancelled and marked expired', async () => {
    const emu = await freshExchange();
    const req = request({ type: 'limit', quantity: 0.1, limitPrice: 48_000, timeInForceMs: 60_000 });
    const placed = await placeOrder(placing(req));
    const connection = connect('binance');
    const target = { connection, context: { mode: 'live', market: 'live:binance', exchangeId: 'binance' } };
    const early = await pollLiveOrder(req, placed, target, () => placed.placedAt! + 59_999);
    expect(early.status).toBe('open');
    const late = await pollLiveOrder(req, early, target, () => placed.placedAt! + 60_000);
    expect(late.status).toBe('expired');
    expect(ordersWithId(emu, req.clientOrderId)[0].status).toBe('CANCELED');
    expect((await findOrder(req.clientOrderId))?.status).toBe('expired');
  });

  it('cancelAllOpenOrders cancels ours and foreign open orders, and a second call finds nothing', async () => {
    const emu = await freshExchange();
    const ours = request({ portfolioId: 'cancel-all', type: 'limit', quantity: 0.01, limitPrice: 45_000 });
    await placeOrder(placing(ours));
    // Someone else's order on the same account.
    const foreignReq = request({ portfolioId: 'someone-else', type: 'limit', quantity: 0.01, limitPrice: 44_000 });
    await placeOrder(placing(foreignReq));
    const input = { ...VENUE, portfolioId: 'cancel-all', symbols: ['BTC/USDT'] };
    const first = await cancelAllOpenOrders(input);
    expect(first.orders.map((o) => [o.clientOrderId, o.status])).toEqual([[ours.clientOrderId, 'cancelled']]);
    expect(first.foreign.map((f) => f.clientOrderId)).toEqual([foreignReq.clientOrderId]);
    expect(emu.orders().every((o) => o.status === 'CANCELED')).toBe(true);
    expect(await cancelAllOpenOrders(input)).toEqual({ orders: [], foreign: [] });
  });
});

describe('reconciliation with the exchange', () => {
  it('finds no drift after trading, then reports, records and corrects a deposit', async () => {
    const emu = await freshExchange();
    const buy = request({ portfolioId: 'recon', quantity: 0.2 });
    const sell = request({ portfolioId: 'recon', side: 'sell', quantity: 0.1 });
    const orders: OrderResult[] = [await placeOrder(placing(buy)), await placeOrder(placing(sell))];
    const book = bookFrom(orders.map((o) => ({ side: o.side, fills: o.fills })));
    const base = { mode: 'live' as const, market: 'live:binance', portfolioId: 'recon', symbols: ['BTC/USDT', 'ETH/USDT'], initialCash: 0, book };
    expect(await reconcileAccount({ ...base, cycleId: 'recon-1' })).toMatchObject({ inSync: true, drifts: [], corrected: book });

    emu.adjustBalance('BTC', 0.5);
    const drifted = await reconcileAccount({ ...base, cycleId: 'recon-2' });
    expect(drifted.inSync).toBe(false);
    expect(drifted.drifts).toHaveLength(1);
    expect(drifted.drifts[0]).toMatchObject({ asset: 'BTC', symbol: 'BTC/USDT' });
    expect(drifted.drifts[0].drift).toBeCloseTo(0.5, 10);
    expect(drifted.corrected.positions['BTC/USDT'].quantity).toBeCloseTo(emu.balance('BTC').free, 10);
    expect(drifted.corrected.cash).toBe(book.cash);
    // A retried activity rewrites its cycle's rows rather than adding more.
    await reconcileAccount({ ...base, cycleId: 'recon-2' });
    const rows = await recentDrifts('recon');
    expect(rows.map((r) => [r.cycleId, r.asset, r.corrected])).toEqual([['recon-2', 'BTC', true]]);
  });
});

describe('protective stops', () => {
  const stop = (overrides: Partial<OrderRequest> = {}) => request({ type: 'stop', side: 'sell', quantity: 0.5, stopPrice: 45_000, ...overrides });

  it('a native stop-market order rests on the exchange and fires when the price falls through it', async () => {
    const emu = await freshExchange();
    const req = stop();
    const placed = await placeProtectiveStop(placing(req));
    expect(placed).toMatchObject({ emulated: false, kind: 'stop-market', order: { status: 'open' } });
    expect(ordersWithId(emu, req.clientOrderId)[0]).toMatchObject({ type: 'STOP_LOSS', stopPrice: 45_000 });

    emu.setPrice('BTCUSDT', 45_500);
    expect((await pollOrder({ ...VENUE, clientOrderId: req.clientOrderId })).order.status).toBe('open');
    emu.setPrice('BTCUSDT', 44_800);
    const fired = await pollOrder({ ...VENUE, clientOrderId: req.clientOrderId });
    expect(fired.order).toMatchObject({ status: 'filled', filledQuantity: 0.5, avgPrice: 44_800 });
    expect(fired.newFills).toHaveLength(1);
  });

  it('uses a stop-limit order where the market has no stop-market, its limit just beyond the trigger', async () => {
    const emu = await freshExchange({ symbols: [{ ...BTCUSDT, orderTypes: ['LIMIT', 'MARKET', 'STOP_LOSS_LIMIT'] }] });
    const req = stop();
    expect(await placeProtectiveStop(placing(req))).toMatchObject({ emulated: false, kind: 'stop-limit' });
    expect(ordersWithId(emu, req.clientOrderId)[0]).toMatchObject({ type: 'STOP_LOSS_LIMIT', stopPrice: 45_000, price: 44_550 });
    emu.setPrice('BTCUSDT', 44_900);
    expect((await pollOrder({ ...VENUE, clientOrderId: req.clientOrderId })).order.status).toBe('filled');
  });

  it('asks the workflow to emulate the stop where the market has no stop orders', async () => {
    const emu = await freshExchange({ symbols: [{ ...BTCUSDT, orderTypes: ['LIMIT', 'MARKET'] }] });
    const req = stop();
    expect(await placeProtectiveStop(placing(req))).toEqual({
      emulated: true,
      reason: 'binance has no native stop orders for BTC/USDT: the portfolio workflow must watch the price',
      stop: { clientOrderId: req.clientOrderId, symbol: 'BTC/USDT', side: 'sell', quantity: 0.5, triggerPrice: 45_000 },
    });
    expect(emu.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });
});

describe('the dry exchange check', () => {
  it('reports authentication, balances and market limits without placing anything', async () => {
    const emu = await freshExchange();
    const report = await checkExchange({ market: 'live:binance', symbols: ['BTC/USDT', 'DOGE/USDT'] });
    expect(report).toMatchObject({
      exchangeId: 'binance', sandbox: false, restUrl: emu.url, authenticated: true, rateLimiter: { enabled: true },
      balances: { USDT: { total: 100_000 }, BTC: { total: 1 } },
      markets: [
        { symbol: 'BTC/USDT', found: true, minAmount: 0.00001, minCost: 5, amountPrecision: 0.00001, pricePrecision: 0.01, nativeStop: 'stop-market' },
        { symbol: 'DOGE/USDT', found: false },
      ],
      fees: { maker: 0.001, taker: 0.001 },
    });
    expect(emu.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v3/exchangeInfo', 'GET /api/v3/time', 'GET /api/v3/account']);
  });

  it('reports a failed authentication, redacted, instead of throwing', async () => {
    await freshExchange();
    process.env.EXCHANGE_SECRET = `${API_SECRET.slice(0, -4)}abcd`;
    const report = await checkExchange({ symbols: ['BTC/USDT'] });
    expect(report.authenticated).toBe(false);
    expect(report.authError).toMatch(/^AuthenticationFailed: .*Signature for this request is not valid/);
    expect(JSON.stringify(report)).not.toContain(process.env.EXCHANGE_SECRET);
  });

  it('tradectl check-exchange prints it', async () => {
    const emu = await freshExchange();
    const lines: string[] = [];
    await buildCli((l) => lines.push(l), (l) => lines.push(l)).parseAsync(['node', 'tradectl', 'check-exchange', '--symbols', 'BTC/USDT,ETH/USDT']);
    const text = lines.join('\n');
    expect(text).toMatch(/authentication: OK/);
    expect(text).toMatch(/USDT\s+100000/);
    expect(text).toMatch(/BTC\/USDT min amount 0\.00001, amount step 0\.00001, min notional 5 USDT, price tick 0\.01, stops: stop-market/);
    expect(text).toMatch(/no order was placed/);
    expect(text).not.toContain(API_SECRET);
    expect(emu.requests.every((r) => r.method === 'GET')).toBe(true);
  });
});

describe('market data through the same connector', () => {
  it('live:binance candles and prices come from the emulator when EXCHANGE_REST_URL points there', async () => {
    const candles = (await loadReplaySeries(path.resolve(__dirname, '../../../../shared/data/ohlcv'), 'BTC/USDT', '1h')).slice(0, 200);
    const emu = await freshExchange({ klines: { BTCUSDT: candles } });
    const data = await fetchMarketData({ market: 'live:binance', symbols: ['BTC/USDT'], timeframe: '1h', limit: 60, cursor: { time: null } });
    expect(data.snapshots[0].candles).toEqual(candles.slice(-60));
    expect(await fetchNextPrice({ market: 'live:binance', symbol: 'BTC/USDT', timeframe: '1h', cursor: { time: null } })).toMatchObject({ price: BTCUSDT.price });
    expect(emu.unknownRequests).toEqual([]);
  });
});

describe('credentials', () => {
  it('come from *_FILE secret files (trailing newline ignored) and never print', async () => {
    const emu = await freshExchange();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-'));
    fs.writeFileSync(path.join(dir, 'key'), `${API_KEY}\n`);
    fs.writeFileSync(path.join(dir, 'secret'), `${API_SECRET}\n`);
    delete process.env.EXCHANGE_API_KEY;
    delete process.env.EXCHANGE_SECRET;
    process.env.EXCHANGE_API_KEY_FILE = path.join(dir, 'key');
    process.env.EXCHANGE_SECRET_FILE = path.join(dir, 'secret');
    // The emulator checks the HMAC: a filled order proves the file's secret signed it.
    expect((await placeOrder(placing(request()))).status).toBe('filled');
    expect(emu.requests.some((r) => r.status === 401 || r.status === 400)).toBe(true); // the lookup's "order does not exist"

    process.env.EXCHANGE_SECRET = API_SECRET;
    const both = await failureOf(placeOrder(placing(request())));
    expect(both).toMatchObject({ type: 'InvalidConfig', nonRetryable: true, message: 'EXCHANGE_SECRET and EXCHANGE_SECRET_FILE are both set: set only one of them' });
    expect(JSON.stringify(new Credentials(API_KEY, API_SECRET))).toBe('"[REDACTED]"');
  });

  it('missing credentials fail non-retryably, naming the variables', async () => {
    await freshExchange();
    delete process.env.EXCHANGE_SECRET;
    const failure = await failureOf(placeOrder(placing(request())));
    expect(failure).toMatchObject({ type: 'MissingCredentials', nonRetryable: true, message: "binance needs EXCHANGE_SECRET (or EXCHANGE_SECRET_FILE) in the execution worker's environment" });
  });
});
