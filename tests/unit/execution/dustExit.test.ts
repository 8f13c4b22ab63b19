/**
 * Issue 11, defect 1, at the live venue: the sale of fee leftovers (0.0000018 BTC, what a live portfolio on the
 * Binance emulator was left with) is refused without sending, and the refusal names the market's minimums, which
 * the cycle marks the position as dust with (domain/dust.ts); a sale above them goes through.
 */
import { placeOrder, type PlaceOrderInput } from '../../../activities/execution';
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
