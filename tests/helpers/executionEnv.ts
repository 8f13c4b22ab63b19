/**
 * Setup shared by the execution tests: a fresh migrated SQLite database, a Binance emulator with the execution
 * worker's environment pointed at it, and a stand-in for Temporal's activity retries.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { resetConnections } from '../../activities/execution/connector';
import { LIVE_OPT_IN_ENV, LIVE_OPT_IN_VALUE } from '../../activities/execution/liveBroker';
import { migrateDatabase } from '../../prisma/database';
import { startBinanceEmulator, type BinanceEmulator, type EmulatedSymbol, type EmulatorOptions } from './binanceEmulator';

export const EXCHANGE_ENV_KEYS = [
  'EXCHANGE_ID', 'EXCHANGE_REST_URL', 'EXCHANGE_SANDBOX', 'EXCHANGE_API_KEY', 'EXCHANGE_SECRET', 'EXCHANGE_PASSWORD',
  'EXCHANGE_API_KEY_FILE', 'EXCHANGE_SECRET_FILE', 'EXCHANGE_PASSWORD_FILE', 'EXCHANGE_PRICE_BAND', 'EXCHANGE_LOOKUP_WINDOW_MS', 'EXCHANGE_SNAPSHOT_RECHECK_MS', LIVE_OPT_IN_ENV,
];

/** Tests wait this long for an order the emulator lags on (the exchanges' own windows are 10-15 s). */
export const TEST_LOOKUP_WINDOW_MS = '600';

export const BTCUSDT: EmulatedSymbol = {
  symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', price: 50_000, tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', maxQty: '9000', minNotional: '5',
};
export const ETHUSDT: EmulatedSymbol = {
  symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT', price: 3_000, tickSize: '0.01', stepSize: '0.0001', minQty: '0.0001', maxQty: '90000', minNotional: '5',
};

/** Realistic-looking credentials, long enough to be redacted. */
export const API_KEY = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A';
export const API_SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';

export async function useTestDatabase(prefix: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const url = `file:${path.join(dir, 'trader.db')}`;
  process.env.DATABASE_URL = url;
  await migrateDatabase(url);
  return dir;
}

export function clearExchangeEnv(): void {
  for (const key of EXCHANGE_ENV_KEYS) delete process.env[key];
  resetConnections();
}

/** Starts an emulator and points the execution environment (EXCHANGE_*) at it, live trading enabled. */
export async function emulatedBinance(options: Partial<EmulatorOptions> = {}): Promise<BinanceEmulator> {
  const emulator = await startBinanceEmulator({
    apiKey: API_KEY, secret: API_SECRET, symbols: [BTCUSDT, ETHUSDT], balances: { USDT: 100_000, BTC: 1, ETH: 0 }, ...options,
  });
  clearExchangeEnv();
  Object.assign(process.env, {
    EXCHANGE_ID: 'binance', EXCHANGE_REST_URL: emulator.url, EXCHANGE_API_KEY: API_KEY, EXCHANGE_SECRET: API_SECRET, [LIVE_OPT_IN_ENV]: LIVE_OPT_IN_VALUE,
    EXCHANGE_LOOKUP_WINDOW_MS: TEST_LOOKUP_WINDOW_MS,
  });
  return emulator;
}

export interface Attempts<T> {
  result: T;
  /** The retryable failures before the result, as Temporal would have retried them. */
  failures: ApplicationFailure[];
}

/**
 * Calls `activity` like Temporal's retry policy would: again after a retryable ApplicationFailure, never after a
 * non-retryable one (rethrown), up to `maxAttempts`.
 */
export async function withRetries<T>(activity: () => Promise<T>, maxAttempts = 6): Promise<Attempts<T>> {
  const failures: ApplicationFailure[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      return { result: await activity(), failures };
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || err.nonRetryable || attempt >= maxAttempts) throw err;
      failures.push(err);
    }
  }
}
