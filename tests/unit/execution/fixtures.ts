/**
 * Builders and lifecycle shared by the execution tests that place orders through the activities: numbered order
 * requests, the venue a live portfolio passes, a suite's database and emulators, and the typed refusal of a call.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { OrderRequest } from '../../../domain/types';
import { closeDatabases } from '../../../prisma/database';
import { clearExchangeEnv, useTestDatabase } from '../../helpers/executionEnv';

interface Closable {
  close(): Promise<void>;
}

/**
 * Registers a suite's lifecycle: a fresh migrated database before it, the EXCHANGE_* environment cleared after each
 * test, every emulator handed to the returned `track` closed (and the databases) after it.
 */
export function exchangeSuite(databasePrefix: string): <E extends Closable>(emulator: E) => E {
  const started: Closable[] = [];
  beforeAll(async () => {
    await useTestDatabase(databasePrefix);
  });
  afterEach(() => clearExchangeEnv());
  afterAll(async () => {
    await Promise.all(started.map((e) => e.close()));
    await closeDatabases();
  });
  return (emulator) => {
    started.push(emulator);
    return emulator;
  };
}

/**
 * A builder of order requests for one test file: every call a new client order id and cycle id
 * (`<prefix>-<n>`), a 0.01 BTC/USDT market buy referenced at 50,000 unless `defaults` or the call override it.
 */
export function orderRequests(
  ids: { clientOrderId: string; cycleId: string; portfolioId: string },
  defaults: Partial<OrderRequest> = {},
): (overrides?: Partial<OrderRequest>) => OrderRequest {
  let seq = 0;
  return (overrides = {}) => {
    seq += 1;
    return {
      clientOrderId: `${ids.clientOrderId}-${seq}`, portfolioId: ids.portfolioId, cycleId: `${ids.cycleId}-${seq}`, symbol: 'BTC/USDT', side: 'buy',
      type: 'market', quantity: 0.01, referencePrice: 50_000, ...defaults, ...overrides,
    };
  };
}

/** The venue fields a live portfolio on `market` (live:<exchange>, 1h candles) passes to the execution activities. */
export function liveVenue(market: string) {
  return { mode: 'live' as const, market, timeframe: '1h', cursor: { time: null }, paper: { feeRate: 0.001, slippageBps: 5 } };
}

/** The ApplicationFailure `promise` rejects with; anything else (a result, another error) fails the test. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
  return err;
}
