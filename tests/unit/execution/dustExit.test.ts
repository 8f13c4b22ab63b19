/**
 * Issue 11, defect 1, at the live venue: the sale of fee leftovers (0.0000018 BTC, what a live portfolio on the
 * Binance emulator was left with) is refused without sending, and the refusal names the market's minimums, which
 * the cycle marks the position as dust with (domain/dust.ts); a sale above them goes through. A sale the exchange
 * itself refuses under a minimum it raised since our market list was read is dust by its fresh list, sent once.
 */
import { placeOrder, type PlaceOrderInput } from '../../../activities/execution';
import { resetConnections } from '../../../activities/execution/connector';
import type { OrderRequest } from '../../../domain/types';
import { closeDatabases } from '../../../prisma/database';
import type { BinanceEmulator } from '../../helpers/binanceEmulator';
import { clearExchangeEnv, emulatedBinance, useTestDatabase } from '../../helpers/executionEnv';

let emulator: BinanceEmulator;
beforeAll(async () => {
  await useTestDatabase('dust-exit');
  emulator = await emulatedBinance({ balances: { USDT: 1_000, BTC: 0.0001018, ETH: 0 } });
});
afterAll(async () => {
  clearExchangeEnv();
  await emulator.close();
  await closeDatabases();
});

const sell = (clientOrderId: string, quantity: number): PlaceOrderInput => ({
  mode: 'live', market: 'live:binance', timeframe: '1h', cursor: { time: null }, paper: { feeRate: 0.001, slippageBps: 5 },
  balances: { cash: 0, position: quantity },
  request: { clientOrderId, portfolioId: 'dust', cycleId: 'dust-cycle-1', symbol: 'BTC/USDT', side: 'sell', type: 'market', quantity, referencePrice: 50_000 } as OrderRequest,
});

it('refuses the sale of fee leftovers without sending, naming the minimums; a sale above them goes through', async () => {
  const leftovers = await placeOrder(sell('tt-dust-leftovers', 0.0000018));
  expect(leftovers).toMatchObject({ status: 'rejected', filledQuantity: 0, belowMinimum: { notional: 5, amount: 0.00001 } });
  const small = await placeOrder(sell('tt-dust-small', 0.00009));
  expect(small).toMatchObject({ status: 'rejected', belowMinimum: { notional: 5 } });
  expect(small.rejectReason).toMatch(/below the exchange minimum 5 USDT/);
  expect(emulator.requests.filter((r) => r.method === 'POST')).toEqual([]);

  const sellable = await placeOrder(sell('tt-dust-sellable', 0.0001));
  expect(sellable).toMatchObject({ status: 'filled', filledQuantity: 0.0001 });
  expect(sellable.belowMinimum).toBeUndefined();
});

describe("the exchange's own minimum, above the one our market list shows (it changed since the list was read)", () => {
  const posts = () => emulator.requests.filter((r) => r.method === 'POST').length;
  const exchangeInfoReads = () => emulator.requests.filter((r) => r.path === '/api/v3/exchangeInfo').length;
  afterEach(() => {
    emulator.setMinNotional('BTCUSDT', 5);
    resetConnections(); // the next test reads the market list afresh, as a new worker would
  });

  it('a sale Binance refuses under its raised minimum is dust: rejected with the new minimum, sent once, the list read again', async () => {
    emulator.setMinNotional('BTCUSDT', 10);
    const [postsBefore, readsBefore] = [posts(), exchangeInfoReads()];
    const result = await placeOrder(sell('tt-dust-raised-minimum', 0.0001));
    expect(result).toMatchObject({ status: 'rejected', filledQuantity: 0, belowMinimum: { notional: 10 } });
    expect(result.rejectReason).toMatch(/binance refused the sale as under its minimum \(.*Filter failure: NOTIONAL.*\); .*below the exchange minimum 10 USDT/);
    expect(posts() - postsBefore).toBe(1);
    expect(exchangeInfoReads()).toBeGreaterThan(readsBefore);
    // Retried or replayed, the activity answers from the stored row: nothing is sent again.
    expect(await placeOrder(sell('tt-dust-raised-minimum', 0.0001))).toMatchObject({ status: 'rejected', deduplicated: true });
    expect(posts() - postsBefore).toBe(1);
  });

  it("a refusal the exchange's current list does not explain, a buy's, or another filter's stays an ordinary final refusal", async () => {
    // Binance says NOTIONAL, but its list still shows a minimum this sale meets (NOTIONAL also carries a maximum).
    emulator.inject({ method: 'POST', path: '/api/v3/order', kind: 'status', status: 400, body: { code: -1013, msg: 'Filter failure: NOTIONAL' } });
    const readsBefore = exchangeInfoReads();
    await expect(placeOrder(sell('tt-dust-unexplained', 0.0001))).rejects.toMatchObject({ nonRetryable: true });
    expect(exchangeInfoReads()).toBeGreaterThan(readsBefore);
    emulator.setMinNotional('BTCUSDT', 10);
    const buy = { ...sell('tt-dust-buy-refused', 0.0001), balances: { cash: 1_000, position: 0 } };
    buy.request = { ...buy.request, side: 'buy' };
    await expect(placeOrder(buy)).rejects.toMatchObject({ nonRetryable: true });
    emulator.setMinNotional('BTCUSDT', 5);
    emulator.inject({ method: 'POST', path: '/api/v3/order', kind: 'status', status: 400, body: { code: -1013, msg: 'Filter failure: PERCENT_PRICE_BY_SIDE' } });
    await expect(placeOrder(sell('tt-dust-other-filter', 0.0001))).rejects.toMatchObject({ nonRetryable: true });
  });
});
