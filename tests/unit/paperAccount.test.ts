import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fetchAccountSnapshot } from '../../activities/execution';
import { saveOrder } from '../../activities/persistence/orderStore';
import { clientOrderId, cycleIdPrefix, cycleWorkflowId } from '../../domain/ids';
import type { OrderRequest, OrderResult } from '../../domain/types';
import { closeDatabases, migrateDatabase } from '../../prisma/database';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paper-account-'));
beforeAll(async () => {
  process.env.DATABASE_URL = `file:${path.join(dir, 'db.sqlite')}`;
  await migrateDatabase(process.env.DATABASE_URL);
});
afterAll(async () => {
  await closeDatabases();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function boughtIn(cycleId: string, quantity: number) {
  const request: OrderRequest = {
    clientOrderId: clientOrderId(cycleId, 'BTC/USDT', 'buy'), portfolioId: 'reused', cycleId, symbol: 'BTC/USDT', side: 'buy',
    type: 'market', quantity, referencePrice: 100,
  };
  const result: OrderResult = {
    clientOrderId: request.clientOrderId, symbol: 'BTC/USDT', side: 'buy', status: 'filled', requestedQuantity: quantity, filledQuantity: quantity,
    avgPrice: 100, fee: 0, fills: [{ price: 100, quantity, fee: 0, timestamp: Date.UTC(2024, 0, 1) }], deduplicated: false,
  };
  await saveOrder(request, result, { mode: 'paper', market: 'sim:1' });
}

it('reads cycle and liquidation ids back to their instance prefix', () => {
  const id = cycleWorkflowId('portfolio-a-b', 'inst1234', 12);
  expect(cycleIdPrefix(id)).toBe('portfolio-a-b-inst1234-');
  expect(cycleIdPrefix('portfolio-a-b-inst1234-liquidation-2')).toBe('portfolio-a-b-inst1234-');
  expect(() => cycleIdPrefix('portfolio-a')).toThrow(/not a cycle or liquidation id/);
});

it('counts only the fills of the current instance of a reused portfolio id in the paper account', async () => {
  await boughtIn(cycleWorkflowId('portfolio-reused', 'oldinst0', 3), 5);
  const current = cycleWorkflowId('portfolio-reused', 'newinst1', 1);
  await boughtIn(current, 2);
  const input = { mode: 'paper' as const, market: 'sim:1', portfolioId: 'reused', symbols: ['BTC/USDT'], initialCash: 1_000 };
  const all = await fetchAccountSnapshot(input);
  expect(all.balances.BTC.total).toBe(7);
  const mine = await fetchAccountSnapshot({ ...input, cyclePrefix: cycleIdPrefix(current) });
  expect(mine.balances.BTC.total).toBe(2);
  expect(mine.balances.USDT.total).toBe(800);
});
