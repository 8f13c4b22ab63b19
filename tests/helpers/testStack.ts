/**
 * The real stack for workflow tests: a Temporal dev server (the installed CLI, never a download), a fresh
 * SQLite database migrated like production, a loopback Ollama, and the production workers for every queue.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { defaultConfig, type PortfolioConfig, type RiskPatch } from '../../domain/config';
import { ALL_QUEUE_KEYS, type QueueKey } from '../../workflows/queues';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/visibility';
import { closeDatabases, migrateDatabase } from '../../prisma/database';
import { createWorkers } from '../../workers/createWorkers';
import { temporalMetricsTelemetry } from '../../workers/runtime';
import { temporalCliPath } from '../../workers/temporalServer';
import { startFakeOllama, type FakeOllama } from './fakeOllama';

export { OHLCV_DIR } from './realCandles';

let runtimeInstalled = false;

export interface TestStack {
  env: TestWorkflowEnvironment;
  ollama: FakeOllama;
  databaseUrl: string;
  workflowBundle: { code: string };
  /** Starts workers for the given queues (all by default); returns them running. */
  startWorkers(queues?: QueueKey[], activityOverrides?: Partial<Record<QueueKey, object>>): Promise<RunningSet>;
  teardown(): Promise<void>;
}

export interface RunningSet {
  workers: Worker[];
  stop(): Promise<void>;
}

export interface TestStackOptions {
  /** Serve the Temporal SDK's own metrics on 127.0.0.1:<port>, as workers do (workers/runtime.ts). */
  temporalMetricsPort?: number;
}

export async function startTestStack(opts: TestStackOptions = {}): Promise<TestStack> {
  if (!runtimeInstalled) {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      ...(opts.temporalMetricsPort !== undefined ? { telemetryOptions: temporalMetricsTelemetry(`127.0.0.1:${opts.temporalMetricsPort}`) } : {}),
    });
    runtimeInstalled = true;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-test-'));
  const databaseUrl = `file:${path.join(dir, 'trader.db')}`;
  process.env.DATABASE_URL = databaseUrl;
  await migrateDatabase(databaseUrl);

  const ollama = await startFakeOllama();
  process.env.OLLAMA_HOST = ollama.url;

  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalCliPath() }, searchAttributes: SEARCH_ATTRIBUTE_KEYS },
  });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const sets: RunningSet[] = [];

  return {
    env,
    ollama,
    databaseUrl,
    workflowBundle,
    async startWorkers(queues = ALL_QUEUE_KEYS, activityOverrides = {}) {
      const workers = await createWorkers({ connection: env.nativeConnection, queues, workflowBundle, activityOverrides });
      const running = workers.map((w) => w.run());
      const set: RunningSet = {
        workers,
        async stop() {
          for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
          await Promise.allSettled(running);
        },
      };
      sets.push(set);
      return set;
    },
    async teardown() {
      for (const s of sets) await s.stop();
      await env.teardown();
      await ollama.close();
      await closeDatabases();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A replay portfolio on the real Binance 1h candles, fast enough for tests; cooldowns off unless asked for. */
export function replayConfig(overrides: Partial<PortfolioConfig> = {}, risk: RiskPatch = {}): PortfolioConfig {
  const base = defaultConfig().risk;
  return defaultConfig({
    portfolioId: `t${Math.floor(Math.random() * 1e9).toString(36)}`,
    // Relative to the project root, as a user would type it, so recorded histories hold no machine paths.
    market: 'replay:../shared/data/ohlcv',
    symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'],
    timeframe: '1h',
    intervalMs: 1_000,
    candleLimit: 400,
    ...overrides,
    risk: {
      ...base,
      // Accept every up-over-down signal so the test sees orders on whatever stretch the replay starts at.
      minConfidence: 0,
      ...risk,
      cooldowns: { ...base.cooldowns, buyMs: 0, sellMs: 0, holdMs: 0, ...risk.cooldowns },
    } as PortfolioConfig['risk'],
  });
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
