/**
 * Issue 12's execution defects, each against the loopback Binance emulator through ccxt's real client: an
 * ambiguous create never becomes a second order (lost answer then a lagging lookup, -1007, a malformed answer),
 * an order that cannot be found is `unknown` (held, reported, never re-created, resolved later), one bad market list
 * does not poison the worker, live orders are not priced far from the exchange, and a NaN quantity is refused.
 */
import { placeOrder, pollOrder, reconcileAccount, type PlaceOrderInput } from '../../../activities/execution';
import { recentDrifts } from '../../../activities/persistence/driftStore';
import { recentIncidents } from '../../../activities/persistence/incidentStore';
import { findOrder } from '../../../activities/persistence/orderStore';
import { metrics } from '../../../activities/metrics';
import type { OrderRequest, PortfolioBook } from '../../../domain/types';
import type { BinanceEmulator } from '../../helpers/binanceEmulator';
import { emulatedBinance, withRetries } from '../../helpers/executionEnv';
import { faults, type Fault } from '../../helpers/faultPlan';
import { exchangeSuite, failureOf, liveVenue, orderRequests } from './fixtures';

const track = exchangeSuite('live-safety');
const exchange = async (): Promise<BinanceEmulator> => track(await emulatedBinance());
const request = orderRequests({ clientOrderId: 'tt-safe', cycleId: 'cycle', portfolioId: 'safety' });
const VENUE = liveVenue('live:binance');
const placing = (req: OrderRequest, position = 1): PlaceOrderInput => ({ ...VENUE, request: req, balances: { cash: 100_000, position } });
const onExchange = (emu: BinanceEmulator, id: string) => emu.orders().filter((o) => o.clientOrderId === id);
const LAGGING = { code: -2013, msg: 'Order does not exist.' };

/**
 * Places `req` on a fresh exchange with `injected` faults, retried as Temporal would, and checks the one thing every
 * ambiguous-create case must keep: exactly one order with its client id on the exchange.
 */
async function placedOnceThrough(req: OrderRequest, ...injected: Fault[]) {
  const emu = await exchange();
  for (const fault of injected) emu.inject(fault);
  const { result, failures } = await withRetries(() => placeOrder(placing(req)));
  expect(onExchange(emu, req.clientOrderId)).toHaveLength(1);
  return { emu, result, failures };
}

describe('defect 1: an applied market order whose answer is lost is never placed twice', () => {
  it('lost answer, then the lookup by client id lags once: one FILLED order on the exchange, booked once', async () => {
    const req = request();
    const { result } = await placedOnceThrough(req, faults.lostAnswer('POST', '/api/v3/order'), faults.lagOrderQuery('/api/v3/order', 2, 1, LAGGING));
    expect(result).toMatchObject({ status: 'filled', filledQuantity: 0.01 });
    expect(await findOrder(req.clientOrderId)).toMatchObject({ status: 'filled', filledQuantity: 0.01 });
  });

  it('-1007 "execution status unknown" after the order was applied: found, not re-sent', async () => {
    const req = request({ side: 'sell', quantity: 0.02 });
    const { emu, result } = await placedOnceThrough(req, faults.statusUnknown('POST', '/api/v3/order'), faults.lagOrderQuery('/api/v3/order', 2, 1, LAGGING));
    expect(emu.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(result).toMatchObject({ status: 'filled', side: 'sell' });
  });

  it('the lookup by client id lags for the whole window: the order is found through the account\'s trades', async () => {
    const req = request();
    // The create's answer is lost, and the lookups by client id within the window (two) lag: a trade of an order
    // this system does not know is in the history, and that order carries our client id.
    const { emu, result } = await placedOnceThrough(req, faults.lostAnswer('POST', '/api/v3/order'), faults.lagOrderQuery('/api/v3/order', 2, 2, LAGGING));
    expect(result).toMatchObject({ status: 'filled', deduplicated: true });
    expect(emu.requests.some((r) => r.path === '/api/v3/myTrades')).toBe(true);
  });

  it('unresolvable: `unknown`, reported as data, never re-created by retries, resolved by a later poll', async () => {
    const emu = await exchange();
    const req = request();
    const before = (await metrics.executionIncidents.get()).values.filter((v) => v.labels.kind === 'order-outcome-unknown').reduce((s, v) => s + v.value, 0);
    emu.inject(faults.lostAnswer('POST', '/api/v3/order'));
    // Every order query (by client id and by order id) lags, and the trade history is down.
    emu.inject(faults.lagOrderQuery('/api/v3/order', 1, 1_000, LAGGING));
    emu.inject({ method: 'GET', path: '/api/v3/myTrades', kind: 'status', status: 503, times: 1_000 });
    const first = await withRetries(() => placeOrder(placing(req)));
    expect(first.result).toMatchObject({ status: 'unknown', filledQuantity: 0 });
    expect(first.result.rejectReason).toMatch(/outcome unknown/);
    // Temporal retrying the activity (or the next cycle asking again) never sends a second create.
    for (let i = 0; i < 3; i++) expect((await placeOrder(placing(req))).status).toBe('unknown');
    expect(emu.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(onExchange(emu, req.clientOrderId)).toHaveLength(1);

    const [incident] = await recentIncidents({ kind: 'order-outcome-unknown' });
    expect(incident).toMatchObject({ clientOrderId: req.clientOrderId, severity: 'critical', symbol: 'BTC/USDT', venue: 'binance', resolvedAt: null });
    expect(incident.detail).toMatch(/will not be placed again/);
    const after = (await metrics.executionIncidents.get()).values.filter((v) => v.labels.kind === 'order-outcome-unknown').reduce((s, v) => s + v.value, 0);
    expect(after - before).toBe(1);

    // The exchange recovers: the next cycle's poll finds it and books its fill.
    emu.clearFaults();
    const polled = await pollOrder({ ...VENUE, clientOrderId: req.clientOrderId, knownFillCount: 0 });
    expect(polled.order).toMatchObject({ status: 'filled', filledQuantity: 0.01 });
    expect(polled.newFills).toHaveLength(1);
    expect((await recentIncidents({ kind: 'order-outcome-unknown' }))[0].resolvedAt).not.toBeNull();
    expect((await recentIncidents({ kind: 'order-outcome-resolved' }))[0].clientOrderId).toBe(req.clientOrderId);
  });

  it('a create that never reached the exchange (5xx before applying) is sent once more after the evidence says so', async () => {
    const { emu, result, failures } = await placedOnceThrough(request(), faults.serverError('POST', '/api/v3/order'));
    expect(failures.map((f) => f.type)).toEqual(['ExchangeUnavailable']);
    expect(result.status).toBe('filled');
    expect(emu.requests.filter((r) => r.method === 'POST').map((r) => r.outcome)).toEqual(['fault-status', 'answered']);
  });
});

describe('defect 5: a 200 answer of unexpected shape to an applied create is an ambiguous outcome', () => {
  it.each([['wrong shape', faults.wrongShape], ['truncated JSON', faults.truncated], ['empty body', faults.empty]] as const)(
    '%s: the order is found and its fill booked',
    async (_name, fault) => {
      const req = request();
      const { result } = await placedOnceThrough(req, fault('POST', '/api/v3/order'));
      expect(result).toMatchObject({ status: 'filled', filledQuantity: 0.01 });
      expect((await findOrder(req.clientOrderId))?.fills).toHaveLength(1);
    },
  );

  it('a lookup answered with `{}` while the lost create is resolved is no order: looked past, the order found, booked once', async () => {
    const req = request();
    // ccxt parses `{}` into an order without an id: adopting it failed the placement for good (-1100 on orderId=undefined).
    const { result, failures } = await placedOnceThrough(req, faults.lostAnswer('POST', '/api/v3/order'), { method: 'GET', path: '/api/v3/order', nth: 2, kind: 'rewrite', rewrite: () => ({}) });
    expect(failures).toEqual([]);
    expect(result).toMatchObject({ status: 'filled', filledQuantity: 0.01, deduplicated: true });
    expect((await findOrder(req.clientOrderId))?.fills).toHaveLength(1);
  });
});

describe('defect 3: one bad market list does not poison the worker', () => {
  it('an empty exchangeInfo is refused retryably and not cached: the next attempt trades', async () => {
    const emu = await exchange();
    emu.inject({ method: 'GET', path: '/api/v3/exchangeInfo', kind: 'rewrite', rewrite: (p) => ({ ...(p as object), symbols: [] }) });
    const req = request();
    const failure = await failureOf(placeOrder(placing(req)));
    expect(failure).toMatchObject({ nonRetryable: false, type: 'ExchangeBadResponse' });
    expect(failure.message).toMatch(/market list refused/);
    expect((await placeOrder(placing(req))).status).toBe('filled');
  });

  it('a truncated list cached earlier: a symbol it lacks reloads it once, then trades', async () => {
    const emu = await exchange();
    emu.inject({
      method: 'GET', path: '/api/v3/exchangeInfo', kind: 'rewrite',
      rewrite: (p) => ({ ...(p as object), symbols: (p as { symbols: { symbol: string }[] }).symbols.filter((s) => s.symbol === 'ETHUSDT') }),
    });
    const eth = await placeOrder(placing(request({ symbol: 'ETH/USDT', quantity: 0.1, referencePrice: 3_000 }), 0));
    expect(eth.status).toBe('filled');
    const btc = await placeOrder(placing(request()));
    expect(btc.status).toBe('filled');
    expect(emu.requests.filter((r) => r.path === '/api/v3/exchangeInfo')).toHaveLength(2);
  });
});

describe('defect 2: a live order far from the exchange price is refused before it is sent', () => {
  it('decided at a 2020 price (2,436.94) while the exchange trades 3,000: rejected, nothing sent, reported', async () => {
    const emu = await exchange();
    const req = request({ symbol: 'ETH/USDT', quantity: 0.5, referencePrice: 2_436.94 });
    const result = await placeOrder(placing(req, 0));
    expect(result.status).toBe('rejected');
    expect(result.rejectReason).toMatch(/^PriceOutOfBand: .*2436\.94.*3000.*18\.77% away, band 5\.00%/);
    expect(emu.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    expect((await recentIncidents({ kind: 'price-out-of-band' }))[0].clientOrderId).toBe(req.clientOrderId);
  });

  it('the band is the execution worker\'s EXCHANGE_PRICE_BAND', async () => {
    await exchange();
    process.env.EXCHANGE_PRICE_BAND = '0.25';
    expect((await placeOrder(placing(request({ symbol: 'ETH/USDT', quantity: 0.5, referencePrice: 2_436.94 }), 0))).status).toBe('filled');
    process.env.EXCHANGE_PRICE_BAND = '2';
    await expect(placeOrder(placing(request()))).rejects.toThrow(/EXCHANGE_PRICE_BAND must be a fraction in \(0, 0.5\]/);
  });

  it('a live portfolio on replayed or simulated candles is refused even with EXCHANGE_ID set', async () => {
    await exchange();
    for (const market of ['replay:../shared/data/ohlcv', 'sim:42']) {
      const failure = await failureOf(placeOrder({ ...placing(request()), market }));
      expect(failure).toMatchObject({ type: 'InvalidConfig', nonRetryable: true });
      expect(failure.message).toMatch(/live mode trades only on live:<exchange> market data/);
    }
  });
});

describe('defect 4: an implausible balances answer never wipes the book', () => {
  const protection = { stop: 45_000, takeProfit: 60_000, highWater: 51_000, trailDistance: 2_000, checkedThrough: 0 };
  const book = (): PortfolioBook => ({
    cash: 100_000, positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 1, avgPrice: 48_000, protection, strategy: 'swing', openedAt: 1 } },
    realizedPnlToday: 0, day: '2026-12-01', dayStartEquity: 150_000,
  } as PortfolioBook);
  const reconciling = (b: PortfolioBook, cycleId: string) => reconcileAccount({
    mode: 'live', market: 'live:binance', portfolioId: 'safety-book', cycleId, symbols: ['BTC/USDT'], initialCash: 0, book: b, prices: { 'BTC/USDT': 50_000 },
  });

  it('{"balances":[]} with status 200: the book is kept, the anomaly recorded, the next good answer is in sync', async () => {
    const emu = await exchange();
    emu.inject({ method: 'GET', path: '/api/v3/account', kind: 'rewrite', times: 3, rewrite: (p) => ({ ...(p as object), balances: [] }) });
    const kept = await reconciling(book(), 'cycle-empty-1');
    expect(kept.inSync).toBe(true);
    expect(kept.corrected).toEqual(book());
    expect(kept.suspect?.join('; ')).toMatch(/every asset the book holds \(USDT 100000, BTC 1\) is zero in the snapshot at once/);
    expect(await recentDrifts('safety-book')).toEqual([]);
    const [incident] = await recentIncidents({ portfolioId: 'safety-book', kind: 'suspect-account-snapshot' });
    expect(incident).toMatchObject({ severity: 'warning', venue: 'binance' });
    const next = await reconciling(kept.corrected, 'cycle-empty-2');
    expect(next).toMatchObject({ inSync: true, drifts: [] });
    expect(next.corrected.positions['BTC/USDT']).toMatchObject({ quantity: 1, avgPrice: 48_000, protection, strategy: 'swing' });
  }, 20_000);

  it('one empty answer then a good one: the good one is adopted at once', async () => {
    const emu = await exchange();
    emu.inject({ method: 'GET', path: '/api/v3/account', kind: 'rewrite', rewrite: (p) => ({ ...(p as object), balances: [] }) });
    const result = await reconciling(book(), 'cycle-empty-3');
    expect(result).toMatchObject({ inSync: true, drifts: [] });
    expect(result.suspect).toBeUndefined();
  });

  it('a drift seen once (a lagging figure) is not adopted; a drift that persists is, and the position keeps its stops', async () => {
    const emu = await exchange();
    emu.inject({
      method: 'GET', path: '/api/v3/account', kind: 'rewrite',
      rewrite: (p) => ({ ...(p as object), balances: (p as { balances: { asset: string }[] }).balances.map((b) => (b.asset === 'BTC' ? { ...b, free: '0.50000000' } : b)) }),
    });
    const transient = await reconciling(book(), 'cycle-drift-1');
    expect(transient).toMatchObject({ inSync: true, drifts: [] });
    expect(transient.unconfirmed?.map((d) => [d.asset, d.account])).toEqual([['BTC', 0.5]]);

    emu.adjustBalance('BTC', -0.25);
    const adopted = await reconciling(book(), 'cycle-drift-2');
    expect(adopted.drifts.map((d) => [d.asset, d.account])).toEqual([['BTC', 0.75]]);
    expect(adopted.corrected.positions['BTC/USDT']).toEqual({ ...book().positions['BTC/USDT'], quantity: 0.75 });
  });
});

describe('defect 7: an order with a NaN quantity', () => {
  it('is refused naming the field, before the database or the exchange see it', async () => {
    const emu = await exchange();
    const req = request({ quantity: Number.NaN });
    const failure = await failureOf(placeOrder(placing(req)));
    expect(failure).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(failure.message).toBe(`order ${req.clientOrderId}: quantity must be a positive finite number, got NaN`);
    expect(await findOrder(req.clientOrderId)).toBeNull();
    expect(emu.requests).toHaveLength(0);
  });
});
