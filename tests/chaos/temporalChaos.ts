/**
 * The Temporal-level part of the soak (`npm run chaos -- --temporal <rounds>`): a live portfolio through the real
 * stack (a Temporal dev server on a file database, the production worker processes, ccxt against the loopback
 * Binance emulator), each round buying and then liquidating under generated faults, with the execution worker
 * process SIGKILLed in the middle of an order (the create applied, its answer never read) and replaced, and the
 * Temporal server itself restarted once. Then: every client order id on the exchange once, every exchange order
 * in the database as it is, the book equal to the account, every liquidation complete, no workflow task failure.
 *
 * Slow by design (a killed order activity is retried after its 1-minute start-to-close timeout): `npm test` runs
 * one round (tests/workflows/temporalChaos.test.ts), the soak several.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Client, Connection } from '@temporalio/client';
import { MIN_CANDLES } from '../../activities/features';
import { LIVE_OPT_IN_ENV, LIVE_OPT_IN_VALUE } from '../../activities/execution/liveBroker';
import { recentCycles, recentOrders } from '../../activities/persistence/queries';
import { portfolioHandle, portfolioOps, startPortfolio } from '../../client/tradingClient';
import { defaultConfig } from '../../domain/config';
import { migrateDatabase } from '../../prisma/database';
import { startDevServer, type DevServer } from '../../workers/temporalServer';
import { startBinanceEmulator, type BinanceEmulator } from '../helpers/binanceEmulator';
import { API_KEY, API_SECRET, BTCUSDT } from '../helpers/executionEnv';
import { startFakeOllama } from '../helpers/fakeOllama';
import { faults, type Fault } from '../helpers/faultPlan';
import { freePort } from '../helpers/loopbackServer';
import { bullishBtcWindow } from '../helpers/realCandles';

const ROOT = path.resolve(__dirname, '../..');
const CANDLES = MIN_CANDLES + 20;

export interface TemporalChaosReport {
  rounds: number;
  faultsInjected: number;
  workerKills: number;
  serverRestarts: number;
  orders: number;
  duplicates: number;
  workflowTaskFailures: number;
  breaks: string[];
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch {
      /* the server may be restarting */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Faults of one round, drawn from the seed: transient ones the stack must ride out. */
function roundFaults(seed: number, round: number): Fault[] {
  const kinds = fc.sample(fc.array(fc.constantFrom('lag', 'rate-limit', 'server-error', 'status-unknown', 'vanishing', 'wrong-shape'), { minLength: 1, maxLength: 3 }), { numRuns: 1, seed: seed + round })[0];
  return kinds.map((k): Fault => {
    switch (k) {
      case 'lag': return faults.lagOrderQuery('/api/v3/order', 2, 2, { code: -2013, msg: 'Order does not exist.' });
      case 'rate-limit': return faults.rateLimited('POST', '/api/v3/order', 1, 1);
      case 'server-error': return faults.serverError('GET', '/api/v3/account', 1, 503);
      case 'status-unknown': return faults.statusUnknown('POST', '/api/v3/order', 1);
      case 'vanishing': return { method: 'GET', path: '/api/v3/account', kind: 'rewrite', rewrite: (p) => ({ ...(p as object), balances: [] }) };
      default: return faults.wrongShape('POST', '/api/v3/order', 1);
    }
  });
}

export async function runTemporalChaos(rounds: number, seed: number, log: (line: string) => void): Promise<TemporalChaosReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-chaos-temporal-'));
  const databaseUrl = `file:${path.join(dir, 'trader.db')}`;
  process.env.DATABASE_URL = databaseUrl;
  await migrateDatabase(databaseUrl);
  const address = `127.0.0.1:${await freePort()}`;
  const serverOpts = { address, uiPort: await freePort(), dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'temporal.log') };
  let server: DevServer = await startDevServer(serverOpts);
  const ollama = await startFakeOllama();
  // So that every round buys.
  const candles = await bullishBtcWindow(CANDLES);
  const emulator: BinanceEmulator = await startBinanceEmulator({
    apiKey: API_KEY, secret: API_SECRET, symbols: [{ ...BTCUSDT, price: candles[candles.length - 1][4] }], balances: { USDT: 10_000, BTC: 0 }, klines: { BTCUSDT: candles },
  });
  const env = {
    ...process.env, TEMPORAL_ADDRESS: address, DATABASE_URL: databaseUrl, OLLAMA_HOST: ollama.url, METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0',
    LOG_LEVEL: 'ERROR', EXCHANGE_ID: 'binance', EXCHANGE_REST_URL: emulator.url, EXCHANGE_API_KEY: API_KEY, EXCHANGE_SECRET: API_SECRET,
    [LIVE_OPT_IN_ENV]: LIVE_OPT_IN_VALUE, EXCHANGE_LOOKUP_WINDOW_MS: '2000',
  };
  const children: ChildProcess[] = [];
  const worker = (queues: string) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'workers/worker.ts', '--queues', queues], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  };
  const report: TemporalChaosReport = { rounds: 0, faultsInjected: 0, workerKills: 0, serverRestarts: 0, orders: 0, duplicates: 0, workflowTaskFailures: 0, breaks: [] };
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  try {
    worker('workflows,marketData,inference,llm,persistence');
    let execution = worker('execution');
    const base = defaultConfig({ mode: 'live' });
    const config = defaultConfig({
      mode: 'live', portfolioId: `chaos${seed}`, market: 'live:binance', symbols: ['BTC/USDT'], intervalMs: 3_000, candleLimit: CANDLES, initialCash: 10_000,
      risk: { ...base.risk, minConfidence: 0, cooldowns: { ...base.risk.cooldowns, buyMs: 0, sellMs: 0, holdMs: 0 } },
      llm: { ...base.llm, fallback: 'approve' },
    });
    await startPortfolio(client, config);
    const handle = () => portfolioHandle(client, config.portfolioId);
    const killDuringNextCreate = () => {
      // The create reaches the exchange and is applied; the worker that sent it dies before it reads the answer.
      emulator.inject({
        method: 'POST', path: '/api/v3/order', kind: 'hook', action: () => {
          execution.kill('SIGKILL');
          report.workerKills += 1;
          log(`chaos temporal: execution worker killed mid-order`);
          execution = worker('execution');
        },
      });
    };
    for (let round = 1; round <= rounds; round++) {
      for (const f of roundFaults(seed, round)) emulator.inject(f);
      const kill = fc.sample(fc.constantFrom<'buy' | 'sell' | 'none'>('buy', 'sell', 'none'), { numRuns: 1, seed: seed * 31 + round })[0];
      if (kill === 'buy') killDuringNextCreate();
      const ordersBefore = (await recentOrders(config.portfolioId, 1_000)).length;
      if (round > 1) await portfolioOps.resume(handle());
      await until(`round ${round}'s buy`, async () => {
        const s = await portfolioOps.status(handle());
        const bought = s.positions.some((p) => p.quantity > 10 * Number(BTCUSDT.stepSize));
        return bought && (await recentOrders(config.portfolioId, 1_000)).length > ordersBefore ? s : undefined;
      }, 240_000);
      if (round === Math.ceil(rounds / 2)) {
        log('chaos temporal: restarting the Temporal server');
        await server.stop();
        server = await startDevServer(serverOpts);
        report.serverRestarts += 1;
      }
      if (kill === 'sell') killDuringNextCreate();
      await until(`round ${round}'s liquidation request`, async () => {
        await portfolioOps.emergencyStop(handle(), `chaos round ${round}`);
        return true;
      }, 60_000);
      await until(`round ${round}'s liquidation`, async () => {
        const s = await portfolioOps.status(handle());
        const left = s.positions.reduce((q, p) => q + p.quantity, 0);
        return s.halt?.kind === 'emergency' && left < Number(BTCUSDT.stepSize) && emulator.balance('BTC').free < Number(BTCUSDT.stepSize) ? s : undefined;
      }, 240_000);
      const placed = (await recentOrders(config.portfolioId, 1_000)).length - ordersBefore;
      log(`chaos temporal: round ${round} done (${placed} orders, kill during ${kill})`);
      report.rounds += 1;
    }
    emulator.clearFaults();
    await portfolioOps.stop(handle());
    const final = await until('the portfolio to stop', () => handle().result(), 120_000);

    const onExchange = emulator.orders();
    const counts = new Map<string, number>();
    for (const o of onExchange) counts.set(o.clientOrderId, (counts.get(o.clientOrderId) ?? 0) + 1);
    report.duplicates = [...counts.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
    report.orders = onExchange.length;
    if (report.duplicates > 0) report.breaks.push(`${report.duplicates} duplicate orders`);
    const saved = await recentOrders(config.portfolioId, 1_000);
    const statusOf: Record<string, string> = { NEW: 'open', PARTIALLY_FILLED: 'partially_filled', FILLED: 'filled', CANCELED: 'cancelled', EXPIRED: 'expired' };
    for (const o of onExchange) {
      const row = saved.find((r) => r.id === o.clientOrderId);
      if (!row) report.breaks.push(`exchange order ${o.clientOrderId} is not in the database`);
      else if (row.status !== statusOf[o.status] || Math.abs(row.filledQuantity - o.executedQty) > 1e-9) {
        report.breaks.push(`order ${o.clientOrderId}: database ${row.status} ${row.filledQuantity}, exchange ${o.status} ${o.executedQty}`);
      }
    }
    const bookBtc = Object.values(final.book.positions).reduce((q, p) => q + p.quantity, 0);
    if (Math.abs(bookBtc - emulator.balance('BTC').free) > 1e-8 || Math.abs(final.book.cash - emulator.balance('USDT').free) > 1e-4) {
      report.breaks.push(`book (${final.book.cash}, ${bookBtc}) is not the account (${emulator.balance('USDT').free}, ${emulator.balance('BTC').free})`);
    }
    const ids = [handle().workflowId, ...(await recentCycles(config.portfolioId, 1_000)).map((c) => c.id)];
    for (const id of ids) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      report.workflowTaskFailures += (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).length;
    }
    if (report.workflowTaskFailures > 0) report.breaks.push(`${report.workflowTaskFailures} workflow task failures`);
    report.faultsInjected = emulator.faultsFired();
    return report;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await connection.close().catch(() => undefined);
    await server.stop();
    await emulator.close();
    await ollama.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
