/**
 * The second exchange family through ccxt's real OKX client (v5 signing, the code/sCode envelope, ack-only creates)
 * against the loopback OKX emulator: placement with OKX's clOrdId rules, exactly once through a lost answer and a
 * lagging clOrdId query, refusals that arrive as HTTP 200, and why re-creating after an ambiguity would be wrong
 * there too: OKX accepts a reused clOrdId once the first order is done.
 */
import { ApplicationFailure } from '@temporalio/common';
import { cancelOrder, placeOrder, pollOrder, reconcileAccount, type PlaceOrderInput } from '../../../activities/execution';
import { connect } from '../../../activities/execution/connector';
import { findOrder } from '../../../activities/persistence/orderStore';
import type { OrderRequest } from '../../../domain/types';
import { faults } from '../../helpers/faultPlan';
import { clearExchangeEnv, TEST_LOOKUP_WINDOW_MS, withRetries } from '../../helpers/executionEnv';
import { LIVE_OPT_IN_ENV, LIVE_OPT_IN_VALUE } from '../../../activities/execution/liveBroker';
import { startOkxEmulator, type OkxEmulator } from '../../helpers/okxEmulator';
import { exchangeSuite, failureOf, liveVenue, orderRequests } from './fixtures';

const KEY = 'okx-test-key-4f1d0c9a2b7e';
const SECRET = 'okx-test-secret-9a8b7c6d5e4f3a2b1c0d';
const PASSPHRASE = 'okx-test-passphrase';
const track = exchangeSuite('okx-execution');

async function okx(): Promise<OkxEmulator> {
  const emu = track(await startOkxEmulator({
    apiKey: KEY, secret: SECRET, passphrase: PASSPHRASE, balances: { USDT: 100_000, BTC: 1 },
    symbols: [{ instId: 'BTC-USDT', base: 'BTC', quote: 'USDT', price: 50_000, tickSz: '0.1', lotSz: '0.00000001', minSz: '0.00001' }],
  }));
  clearExchangeEnv();
  Object.assign(process.env, {
    EXCHANGE_ID: 'okx', EXCHANGE_REST_URL: emu.url, EXCHANGE_API_KEY: KEY, EXCHANGE_SECRET: SECRET, EXCHANGE_PASSWORD: PASSPHRASE,
    [LIVE_OPT_IN_ENV]: LIVE_OPT_IN_VALUE, EXCHANGE_LOOKUP_WINDOW_MS: TEST_LOOKUP_WINDOW_MS,
  });
  return emu;
}

const request = orderRequests({ clientOrderId: 'tt-okx', cycleId: 'okx-cycle', portfolioId: 'okx' });
const VENUE = liveVenue('live:okx');
const placing = (req: OrderRequest): PlaceOrderInput => ({ ...VENUE, request: req, balances: { cash: 100_000, position: 1 } });
const NOT_FOUND = { code: '51603', msg: 'Order does not exist', data: [] };
/** ccxt places OKX orders through the batch endpoint, one order at a time. */
const CREATE = '/api/v5/trade/batch-orders';

it('places a market buy with a clOrdId OKX accepts (letters and digits), its fills from the fills history', async () => {
  const emu = await okx();
  const req = request();
  const result = await placeOrder(placing(req));
  expect(result).toMatchObject({ status: 'filled', filledQuantity: 0.01, avgPrice: 50_000 });
  expect(result.fills).toHaveLength(1);
  expect(emu.orders().map((o) => o.clOrdId)).toEqual([req.clientOrderId.replace(/-/g, '')]);
  expect(emu.unknownRequests).toEqual([]);
  const reconciled = await reconcileAccount({
    mode: 'live', market: 'live:okx', portfolioId: 'okx', symbols: ['BTC/USDT'], initialCash: 0,
    book: { cash: emu.balance('USDT').avail, positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: emu.balance('BTC').avail, avgPrice: 50_000 } }, realizedPnlToday: 0, day: '2026-12-01', dayStartEquity: 150_000 } as never,
  });
  expect(reconciled.drifts).toEqual([]);
});

it('a lost create answer, then the clOrdId query lags (51603): one order on OKX, booked once', async () => {
  const emu = await okx();
  const req = request({ quantity: 0.02 });
  emu.inject(faults.lostAnswer('POST', CREATE));
  emu.inject({ method: 'GET', path: '/api/v5/trade/order', nth: 2, kind: 'status', status: 200, body: NOT_FOUND });
  const { result } = await withRetries(() => placeOrder(placing(req)));
  expect(emu.orders()).toHaveLength(1);
  expect(result).toMatchObject({ status: 'filled', filledQuantity: 0.02, deduplicated: true });
  expect((await findOrder(req.clientOrderId))?.fills).toHaveLength(1);
});

it('OKX takes a reused clOrdId once the first order is filled: an unresolved ambiguity stays unknown instead', async () => {
  const emu = await okx();
  // The exchange's own rule, shown directly: the same clOrdId twice, both filled.
  const exchange = connect('okx').exchange;
  await exchange.loadMarkets();
  await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { clientOrderId: 'reused1' });
  await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { clientOrderId: 'reused1' });
  expect(emu.orders().filter((o) => o.clOrdId === 'reused1').map((o) => o.state)).toEqual(['filled', 'filled']);

  // So ours never re-creates: a lost answer with the order query and the fills history both down is `unknown`.
  const req = request();
  emu.inject(faults.lostAnswer('POST', CREATE));
  emu.inject({ method: 'GET', path: '/api/v5/trade/order', kind: 'status', status: 200, body: NOT_FOUND, times: 1_000 });
  emu.inject({ method: 'GET', path: '/api/v5/trade/fills-history', kind: 'status', status: 503, times: 1_000 });
  const first = await withRetries(() => placeOrder(placing(req)));
  expect(first.result.status).toBe('unknown');
  expect((await placeOrder(placing(req))).status).toBe('unknown');
  expect(emu.orders().filter((o) => o.clOrdId === req.clientOrderId.replace(/-/g, ''))).toHaveLength(1);
  emu.clearFaults();
  expect((await pollOrder({ ...VENUE, clientOrderId: req.clientOrderId })).order.status).toBe('filled');
});

it('a refusal answered as HTTP 200 with code 1 (51008 insufficient balance) fails for good and is recorded', async () => {
  await okx();
  const req = request({ quantity: 5 });
  const err = await placeOrder(placing(req)).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'InsufficientFunds', nonRetryable: true });
  expect((await findOrder(req.clientOrderId))?.status).toBe('rejected');
});

it('an acknowledgement whose order the query does not show yet (ack-only creates) is waited for, not refused', async () => {
  const emu = await okx();
  const req = request();
  // The create is acknowledged; the first query by its ordId lags.
  emu.inject({ method: 'GET', path: '/api/v5/trade/order', nth: 2, kind: 'status', status: 200, body: NOT_FOUND });
  const { result, failures } = await withRetries(() => placeOrder(placing(req)));
  expect(failures.map((f) => f.type)).toEqual(['OrderLookupInconsistent']);
  expect(result).toMatchObject({ status: 'filled', filledQuantity: 0.01 });
  expect(emu.orders()).toHaveLength(1);
});

it('an acknowledged order its queries never show is not placed again: its own id is no evidence against it', async () => {
  const emu = await okx();
  const req = request();
  // Acknowledged with an ordId, then every order query lags; its trade is in the fills history, but its order
  // cannot be fetched to tie the trade to our clOrdId.
  emu.inject({ method: 'GET', path: '/api/v5/trade/order', nth: 2, kind: 'status', status: 200, body: NOT_FOUND, times: 1_000 });
  const { result } = await withRetries(() => placeOrder(placing(req)));
  expect(result.status).toBe('unknown');
  expect(result.rejectReason).toMatch(/acknowledged it as order \d+/);
  expect(emu.orders()).toHaveLength(1);
  emu.clearFaults();
  expect((await pollOrder({ ...VENUE, clientOrderId: req.clientOrderId })).order).toMatchObject({ status: 'filled', filledQuantity: 0.01 });
  expect(emu.orders()).toHaveLength(1);
});

it('an acknowledgement of unexpected shape to an applied create is resolved by the lookup', async () => {
  const emu = await okx();
  const req = request();
  emu.inject({ method: 'POST', path: CREATE, kind: 'rewrite', rewrite: () => ({ code: '0', msg: '', data: [{}] }) });
  const { result } = await withRetries(() => placeOrder(placing(req)));
  expect(result).toMatchObject({ status: 'filled', filledQuantity: 0.01 });
  expect(emu.orders()).toHaveLength(1);
});

it('an acknowledged order its queries do not show, cancelled before a retry, stays unknown: never booked as never sent', async () => {
  const emu = await okx();
  const req = request();
  emu.inject({ method: 'GET', path: '/api/v5/trade/order', nth: 2, kind: 'status', status: 200, body: NOT_FOUND, times: 1_000 });
  // The create is acknowledged (its ordId saved), its order cannot be fetched: the attempt fails retryably.
  expect(await failureOf(placeOrder(placing(req)))).toMatchObject({ type: 'OrderLookupInconsistent' });
  // The workflow cancels instead of retrying: the order filled, so "cancelled before it reached the exchange" would lose its fill.
  const { order } = await cancelOrder({ ...VENUE, clientOrderId: req.clientOrderId });
  expect(order.status).toBe('unknown');
  expect(order.rejectReason).toMatch(/acknowledged it as order \d+/);
  emu.clearFaults();
  expect((await pollOrder({ ...VENUE, clientOrderId: req.clientOrderId })).order).toMatchObject({ status: 'filled', filledQuantity: 0.01 });
  expect(emu.orders()).toHaveLength(1);
});
