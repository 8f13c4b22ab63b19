/**
 * Persistence: one suite run against SQLite (a temp file) and PostgreSQL (TEST_POSTGRES_URL; in CI it must be
 * set, locally the suite is skipped without it). Start a throwaway server with:
 *   export TEST_POSTGRES_URL="$(scripts/ci-postgres.sh | tail -n 1)"
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@libsql/client';
import { findOrder, saveOrder } from '../../activities/persistence/orderStore';
import { recentCycles, recentOrders, traceOrder } from '../../activities/persistence/queries';
import { recordCycle } from '../../activities/persistence/recordCycle';
import { metrics } from '../../activities/metrics';
import type { CycleRecord, OrderRequest, OrderResult } from '../../domain/types';
import {
  PROJECT_ROOT, closeDatabases, migrateDatabase, openDatabase, prismaConfigFor, resolveDatabaseUrl, type Db, type DatabaseKind,
} from '../../prisma/database';
import { POSTGRES_SCHEMA, SQLITE_SCHEMA, derivePostgresSchema, modelsOnly } from '../../scripts/sync-postgres-schema';
import { createPostgresDatabase, describeOnPostgres, dropPostgresDatabases, withPgClient } from '../helpers/postgres';

afterAll(async () => {
  await closeDatabases();
});

// ---------------------------------------------------------------------------------------------------------
// Fixtures

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

function fixture(portfolioId: string, cycleNo = 1) {
  const cycleId = `cycle-${portfolioId}-${cycleNo}`;
  const orderId = `${cycleId}:BTC/USDT:buy`;
  const request: OrderRequest = {
    clientOrderId: orderId, portfolioId, cycleId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.02, referencePrice: 50_000,
  };
  const result: OrderResult = {
    clientOrderId: orderId, symbol: 'BTC/USDT', side: 'buy', status: 'filled', requestedQuantity: 0.02, filledQuantity: 0.02,
    avgPrice: 50_010, fee: 1.0002, deduplicated: false,
    fills: [
      { price: 50_005, quantity: 0.01, fee: 0.50005, timestamp: T0 + 61_000 },
      { price: 50_015, quantity: 0.01, fee: 0.50015, timestamp: T0 + 62_000 },
    ],
  };
  const record: CycleRecord = {
    cycleId, portfolioId, cycleNo, mode: 'paper', market: 'replay:tests/fixtures', status: 'completed',
    startedAt: T0, finishedAt: T0 + 2_500,
    features: [
      { symbol: 'BTC/USDT', asOf: T0 - 60_000, close: 50_000, names: ['ret_1', 'rsi_14'], values: [0.01, 61.5] },
      { symbol: 'ETH/USDT', asOf: T0 - 60_000, close: 3_000, names: ['ret_1', 'rsi_14'], values: [-0.02, 35.2] },
      { symbol: 'SOL/USDT', asOf: T0 - 60_000, close: 150, names: ['ret_1', 'rsi_14'], values: [0, 50] },
    ],
    signals: [
      { symbol: 'BTC/USDT', asOf: T0 - 60_000, direction: 'up', confidence: 0.71, probabilities: { up: 0.71, down: 0.09, flat: 0.2 }, modelVersion: 'lgbm-2026-01' },
      { symbol: 'ETH/USDT', asOf: T0 - 60_000, direction: 'down', confidence: 0.64, probabilities: { up: 0.1, down: 0.64, flat: 0.26 }, modelVersion: 'lgbm-2026-01' },
      { symbol: 'SOL/USDT', asOf: T0 - 60_000, direction: 'flat', confidence: 0.8, probabilities: { up: 0.1, down: 0.1, flat: 0.8 }, modelVersion: 'lgbm-2026-01' },
    ],
    verdicts: [
      {
        symbol: 'BTC/USDT', approve: true, confidence: 0.8, reason: 'trend and momentum agree', model: 'llama3.1:8b+smollm2:135m', fallback: false, sizeMultiplier: 1, latencyMs: 840,
        consensus: 'majority: 2 of 2 approve',
        models: [
          { model: 'llama3.1:8b', weight: 2, approve: true, confidence: 0.8, reason: 'trend and momentum agree', fallback: false, sizeMultiplier: 1, latencyMs: 840 },
          { model: 'smollm2:135m', weight: 1, approve: true, confidence: 0, reason: "fallback policy 'approve' applied: timeout after 800ms", fallback: true, fallbackReason: 'timeout after 800ms', sizeMultiplier: 1, latencyMs: 800.4 },
        ],
        prompt: { version: 'review-v2', hash: 'ab'.repeat(32), text: 'Trade: BUY BTC/USDT at 50000 (entry)', temperature: 0, seed: 42, numPredict: 96 },
      },
      { symbol: 'ETH/USDT', approve: true, confidence: 0.5, reason: 'fallback: approve at half size', model: 'llama3.1:8b', fallback: true, fallbackReason: 'timeout', sizeMultiplier: 0.5, latencyMs: 20_000 },
    ],
    decisions: [
      {
        symbol: 'BTC/USDT', side: 'buy', approved: true, quantity: 0.02, price: 50_000, notional: 1_000,
        rules: [
          { rule: 'maxAssetWeight', effect: 'resize', detail: 'weight capped at 10%' },
          { rule: 'llmApproved', effect: 'info', detail: 'trend and momentum agree' },
        ],
      },
      { symbol: 'ETH/USDT', side: 'sell', approved: false, quantity: 0, price: 3_000, notional: 0, rules: [{ rule: 'noPosition', effect: 'block', detail: 'nothing to sell' }] },
    ],
    orders: [result],
    book: {
      cash: 8_998.9998, positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 0.02, avgPrice: 50_060.01 } },
      realizedPnlToday: 0, dayStartEquity: 10_000, day: '2026-01-05',
    },
    prices: { 'BTC/USDT': 50_100, 'ETH/USDT': 3_001, 'SOL/USDT': 150.5 },
    equity: 8_998.9998 + 0.02 * 50_100,
  };
  return { cycleId, orderId, request, result, record };
}

const ctx = { mode: 'paper', market: 'replay:tests/fixtures' };

async function counts(db: Db, cycleId: string, orderId: string) {
  return {
    cycles: await db.cycle.count({ where: { id: cycleId } }),
    signals: await db.signal.count({ where: { cycleId } }),
    verdicts: await db.llmVerdict.count({ where: { signal: { cycleId } } }),
    modelVerdicts: await db.llmModelVerdict.count({ where: { verdict: { signal: { cycleId } } } }),
    decisions: await db.riskDecision.count({ where: { signal: { cycleId } } }),
    positions: await db.positionSnapshot.count({ where: { cycleId } }),
    equity: await db.equitySnapshot.count({ where: { cycleId } }),
    orders: await db.order.count({ where: { id: orderId } }),
    fills: await db.fill.count({ where: { orderId } }),
  };
}

async function cyclesCounted(portfolio: string, status: string): Promise<number> {
  const { values } = await metrics.cycles.get();
  return values.filter((v) => v.labels.portfolio === portfolio && v.labels.status === status).reduce((s, v) => s + v.value, 0);
}

// ---------------------------------------------------------------------------------------------------------
// Structure of a database, to check the committed migrations build exactly what schema.prisma describes.

const PRISMA_BIN = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'prisma');

function runPrisma(args: string[], databaseUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // The preload saves the 10 s the PostgreSQL schema engine otherwise lingers (see prisma/unref-engine-timers.js).
    const env = { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1', NODE_OPTIONS: `--require ${path.join(PROJECT_ROOT, 'prisma', 'unref-engine-timers.js')}` };
    execFile(PRISMA_BIN, args, { cwd: PROJECT_ROOT, env, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`prisma ${args.join(' ')}: ${stdout}\n${stderr}`)) : resolve(stdout)));
  });
}

async function describeSqlite(url: string): Promise<unknown> {
  const c = createClient({ url });
  try {
    const q = async (sql: string) => (await c.execute(sql)).rows.map((r) => ({ ...r }));
    const tables = (await q("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name"))
      .map((r) => String(r.name));
    const out: Record<string, unknown> = {};
    for (const t of tables) {
      const indexes = [];
      for (const ix of (await q(`PRAGMA index_list("${t}")`)).filter((i) => i.origin !== 'pk').sort((a, b) => String(a.name).localeCompare(String(b.name)))) {
        indexes.push({ name: ix.name, unique: ix.unique, columns: (await q(`PRAGMA index_info("${String(ix.name)}")`)).map((c) => c.name) });
      }
      out[t] = {
        columns: (await q(`PRAGMA table_info("${t}")`)).map(({ cid: _cid, ...col }) => col).sort((a, b) => String(a.name).localeCompare(String(b.name))),
        indexes,
        foreignKeys: (await q(`PRAGMA foreign_key_list("${t}")`)).map(({ id: _id, seq: _seq, ...fk }) => fk),
      };
    }
    return out;
  } finally {
    c.close();
  }
}

async function describePostgres(url: string): Promise<unknown> {
  return withPgClient(url, async (c) => {
    const columns = await c.query(`SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY table_name, column_name`);
    const indexes = await c.query(`SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY tablename, indexname`);
    const constraints = await c.query(`SELECT t.relname AS tbl, con.conname, pg_get_constraintdef(con.oid) AS def
      FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
      WHERE con.connamespace = 'public'::regnamespace AND t.relname <> '_prisma_migrations' ORDER BY 1, 2`);
    return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Databases under test

interface Target {
  /** A brand-new, empty database. */
  create(): Promise<string>;
  /** Applies an SQL script to a database (for the migration drift check). */
  execScript(url: string, sql: string): Promise<void>;
  describe(url: string): Promise<unknown>;
  cleanup(): Promise<void>;
}

function sqliteTarget(): Target {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-persistence-'));
  let n = 0;
  return {
    // A nested directory that does not exist yet: migrateDatabase must create it.
    create: async () => `file:${path.join(dir, `db${++n}`, 'nested', 'trader.db')}`,
    async execScript(url, sql) {
      const resolved = resolveDatabaseUrl(url);
      const c = createClient({ url: resolved });
      try {
        await c.executeMultiple(sql);
      } finally {
        c.close();
      }
    },
    describe: (url) => describeSqlite(resolveDatabaseUrl(url)),
    async cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresTarget(serverUrl: string): Target {
  const created: string[] = [];
  return {
    async create() {
      const { name, url } = await createPostgresDatabase(serverUrl, 'trader_test');
      created.push(name);
      return url;
    },
    async execScript(url, sql) {
      await withPgClient(url, (c) => c.query(sql));
    },
    describe: describePostgres,
    async cleanup() {
      await closeDatabases();
      await dropPostgresDatabases(serverUrl, created);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The suite

function persistenceSuite(kind: DatabaseKind, makeTarget: () => Target) {
  let target: Target;
  let url: string;
  let db: Db;
  const pf = (name: string) => `${kind}-${name}-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    target = makeTarget();
    url = await target.create();
  });
  afterAll(async () => {
    await closeDatabases();
    await target?.cleanup();
  });

  it('migrates a brand-new database, and migrating again changes nothing', async () => {
    const first = await migrateDatabase(url);
    expect(first.kind).toBe(kind);
    expect(first.output).toMatch(/20261121000000_init/);
    if (kind === 'sqlite') expect(fs.existsSync(new URL(first.url))).toBe(true);
    const again = await migrateDatabase(url);
    expect(again.output).toMatch(/No pending migrations/);
    db = openDatabase(url);
    expect(openDatabase(url)).toBe(db); // cached per URL
    expect(await db.cycle.count()).toBe(0);
  });

  it('the committed migrations build exactly the schema in schema.prisma', async () => {
    const fromSchema = await target.create();
    const schema = kind === 'postgres' ? POSTGRES_SCHEMA : SQLITE_SCHEMA;
    const script = await runPrisma(['migrate', 'diff', '--config', prismaConfigFor(kind), '--from-empty', '--to-schema-datamodel', schema, '--script'], kind === 'postgres' ? fromSchema : resolveDatabaseUrl(fromSchema));
    await target.execScript(fromSchema, script);
    expect(await target.describe(url)).toEqual(await target.describe(fromSchema));
  });

  it('saveOrder is idempotent: saving twice keeps one order and its fills once; findOrder reads it back', async () => {
    const { request, result, orderId } = fixture(pf('orders'));
    expect(await findOrder(orderId, db)).toBeNull();

    await saveOrder(request, result, ctx, db);
    await saveOrder(request, result, ctx, db);
    expect(await db.order.count({ where: { id: orderId } })).toBe(1);
    expect(await db.fill.count({ where: { orderId } })).toBe(2);
    expect(await findOrder(orderId, db)).toEqual(result);

    // A newer state of the same order replaces the old one, fills included.
    const refilled: OrderResult = { ...result, fills: [{ price: 50_010, quantity: 0.02, fee: 1.0002, timestamp: T0 + 70_000 }] };
    await saveOrder(request, refilled, ctx, db);
    expect(await db.fill.count({ where: { orderId } })).toBe(1);
    expect((await findOrder(orderId, db))?.fills).toEqual(refilled.fills);

    const row = await db.order.findUniqueOrThrow({ where: { id: orderId } });
    expect(row).toMatchObject({ portfolioId: request.portfolioId, cycleId: request.cycleId, mode: 'paper', marketSource: ctx.market, type: 'market', referencePrice: 50_000 });
  });

  it('stores a rejected order with its reason', async () => {
    const { request, result } = fixture(pf('rejected'));
    const rejected: OrderResult = { ...result, status: 'rejected', filledQuantity: 0, avgPrice: 0, fee: 0, fills: [], rejectReason: 'insufficient funds' };
    await saveOrder(request, rejected, ctx, db);
    expect(await findOrder(request.clientOrderId, db)).toEqual(rejected);
  });

  it('recordCycle links each decision to its signal, verdict and order; traceOrder walks back from the order', async () => {
    const portfolioId = pf('trace');
    const { request, result, record, orderId, cycleId } = fixture(portfolioId);
    const before = await cyclesCounted(portfolioId, 'completed');
    await saveOrder(request, result, ctx, db); // the execution activity's save comes first
    expect(await recordCycle(record, db)).toEqual({ cycleId });
    expect(await cyclesCounted(portfolioId, 'completed')).toBe(before + 1);

    const trace = await traceOrder(orderId, db);
    expect(trace).not.toBeNull();
    const t = trace!;
    expect(t.order.id).toBe(orderId);
    expect(t.order.fills.map((f) => [f.seq, f.price, f.quantity])).toEqual([[0, 50_005, 0.01], [1, 50_015, 0.01]]);
    expect(t.decision).toMatchObject({ side: 'buy', approved: true, quantity: 0.02, price: 50_000, notional: 1_000, orderId });
    expect(t.decision!.rules).toEqual(record.decisions[0].rules);
    expect(t.verdict).toMatchObject({
      approve: true, reason: 'trend and momentum agree', model: 'llama3.1:8b+smollm2:135m', fallback: false, fallbackReason: null, latencyMs: 840,
      consensus: 'majority: 2 of 2 approve', promptVersion: 'review-v2', promptHash: 'ab'.repeat(32), prompt: 'Trade: BUY BTC/USDT at 50000 (entry)',
      sampling: { temperature: 0, seed: 42, numPredict: 96 },
    });
    // Each model's vote, in panel order.
    expect(t.verdict!.models.map(({ id: _id, verdictId: _v, ...m }) => m)).toEqual([
      { seq: 0, model: 'llama3.1:8b', weight: 2, approve: true, confidence: 0.8, reason: 'trend and momentum agree', fallback: false, fallbackReason: null, sizeMultiplier: 1, latencyMs: 840, reused: false },
      { seq: 1, model: 'smollm2:135m', weight: 1, approve: true, confidence: 0, reason: "fallback policy 'approve' applied: timeout after 800ms", fallback: true, fallbackReason: 'timeout after 800ms', sizeMultiplier: 1, latencyMs: 800, reused: false },
    ]);
    expect(t.signal).toMatchObject({ cycleId, symbol: 'BTC/USDT', direction: 'up', confidence: 0.71, modelVersion: 'lgbm-2026-01', lastPrice: 50_100 });
    expect(t.signal!.asOf.getTime()).toBe(T0 - 60_000);
    expect(t.signal!.probabilities).toEqual({ up: 0.71, down: 0.09, flat: 0.2 });
    expect(t.signal!.features).toEqual({ asOf: T0 - 60_000, close: 50_000, values: { ret_1: 0.01, rsi_14: 61.5 } });
    expect(t.cycle).toMatchObject({ id: cycleId, portfolioId, cycleNo: 1, status: 'completed', error: null, mode: 'paper', marketSource: record.market });
    expect(t.cycle!.startedAt.getTime()).toBe(T0);
    expect(t.cycle!.finishedAt.getTime()).toBe(T0 + 2_500);

    // The refused decision is stored, with its rules and the fallback verdict, and links to no order.
    const eth = await db.signal.findUniqueOrThrow({ where: { cycleId_symbol: { cycleId, symbol: 'ETH/USDT' } }, include: { verdict: true, decision: true } });
    expect(eth.verdict).toMatchObject({ fallback: true, fallbackReason: 'timeout', sizeMultiplier: 0.5 });
    expect(eth.decision).toMatchObject({ approved: false, orderId: null });
    expect(JSON.parse(eth.decision!.rules)).toEqual([{ rule: 'noPosition', effect: 'block', detail: 'nothing to sell' }]);
    // A signal without a trade has neither verdict nor decision.
    const sol = await db.signal.findUniqueOrThrow({ where: { cycleId_symbol: { cycleId, symbol: 'SOL/USDT' } }, include: { verdict: true, decision: true } });
    expect([sol.verdict, sol.decision]).toEqual([null, null]);

    expect(await db.positionSnapshot.findMany({ where: { cycleId }, select: { symbol: true, quantity: true, avgPrice: true, marketPrice: true } }))
      .toEqual([{ symbol: 'BTC/USDT', quantity: 0.02, avgPrice: 50_060.01, marketPrice: 50_100 }]);
    const eq = await db.equitySnapshot.findUniqueOrThrow({ where: { cycleId } });
    expect(eq).toMatchObject({ portfolioId, cash: record.book.cash, equity: record.equity, realizedPnlToday: 0 });
    expect(eq.exposure).toBeCloseTo(0.02 * 50_100, 9);

    const cycles = await recentCycles(portfolioId, 10, db);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toMatchObject({ id: cycleId, orderCount: 1, signalCount: 3, equity: record.equity, cash: record.book.cash });
    const orders = await recentOrders(portfolioId, 10, db);
    expect(orders.map((o) => [o.id, o.fills.length])).toEqual([[orderId, 2]]);
    expect(await traceOrder('no-such-order', db)).toBeNull();
  });

  it('recordCycle retried gives no duplicates and counts the cycle once', async () => {
    const portfolioId = pf('retry');
    const { request, result, record, orderId, cycleId } = fixture(portfolioId);
    await saveOrder(request, result, ctx, db);
    await recordCycle(record, db);
    const once = await counts(db, cycleId, orderId);
    expect(once).toEqual({ cycles: 1, signals: 3, verdicts: 2, modelVerdicts: 2, decisions: 2, positions: 1, equity: 1, orders: 1, fills: 2 });

    await recordCycle(record, db);
    await recordCycle({ ...record, equity: record.equity + 1 }, db); // a retry replaces, it does not add
    expect(await counts(db, cycleId, orderId)).toEqual(once);
    expect((await db.cycle.findUniqueOrThrow({ where: { id: cycleId } })).equity).toBe(record.equity + 1);
    expect((await traceOrder(orderId, db))?.decision?.orderId).toBe(orderId);
    expect(await cyclesCounted(portfolioId, 'completed')).toBe(1);
    const { values } = await metrics.equity.get();
    expect(values.find((v) => v.labels.portfolio === portfolioId)?.value).toBe(record.equity + 1);
  });

  it('recordCycle creates a missing order row from the record so the decision still links', async () => {
    const { record, orderId } = fixture(pf('missing-order'));
    await recordCycle(record, db);
    const t = await traceOrder(orderId, db);
    expect(t?.order.fills).toHaveLength(2);
    expect(t?.decision?.approved).toBe(true);
  });

  it('stores a failed cycle with its error and whatever stages it reached', async () => {
    const portfolioId = pf('failed');
    const { record } = fixture(portfolioId);
    const failed: CycleRecord = {
      ...record, status: 'failed', error: 'ActivityFailure: LLM worker unreachable',
      verdicts: [], decisions: [], orders: [], book: { ...record.book, positions: {} }, equity: record.book.cash,
    };
    await recordCycle(failed, db);
    const [row] = await recentCycles(portfolioId, 5, db);
    expect(row).toMatchObject({ id: record.cycleId, status: 'failed', error: 'ActivityFailure: LLM worker unreachable', signalCount: 3, orderCount: 0 });
    expect(await db.riskDecision.count({ where: { signal: { cycleId: record.cycleId } } })).toBe(0);
    expect(await db.equitySnapshot.count({ where: { cycleId: record.cycleId } })).toBe(1);
    expect(await cyclesCounted(portfolioId, 'failed')).toBe(1);

    // Failed before any stage: just the cycle and its equity.
    const early = fixture(portfolioId, 2).record;
    await recordCycle({ ...early, status: 'failed', error: 'ApplicationFailure: exchange down', features: [], signals: [], verdicts: [], decisions: [], orders: [], prices: {} }, db);
    const stored = await db.cycle.findUniqueOrThrow({ where: { id: early.cycleId }, include: { signals: true, positions: true } });
    expect(stored).toMatchObject({ status: 'failed', error: 'ApplicationFailure: exchange down', signals: [] });
    expect(stored.positions[0].marketPrice).toBeNull(); // no price was fetched
  });

  it('recentCycles and recentOrders return newest first, limited, for one portfolio only', async () => {
    const portfolioId = pf('recent');
    for (const n of [1, 2, 3]) {
      const f = fixture(portfolioId, n);
      const startedAt = T0 + n * 60_000;
      await saveOrder(f.request, f.result, ctx, db);
      await recordCycle({ ...f.record, startedAt, finishedAt: startedAt + 1_000 }, db);
    }
    await recordCycle(fixture(pf('other')).record, db);
    expect((await recentCycles(portfolioId, 2, db)).map((c) => c.cycleNo)).toEqual([3, 2]);
    const orders = await recentOrders(portfolioId, 10, db);
    expect(orders).toHaveLength(3);
    expect(orders.every((o) => o.portfolioId === portfolioId)).toBe(true);
  });
}

describe('database URLs', () => {
  it('resolves relative file: URLs against the project root, defaults to data/trader.db, keeps postgres URLs', () => {
    const opts = { createDir: false };
    expect(resolveDatabaseUrl(undefined, opts)).toBe(pathToFileURL(path.join(PROJECT_ROOT, 'data', 'trader.db')).href);
    expect(resolveDatabaseUrl('', opts)).toBe(pathToFileURL(path.join(PROJECT_ROOT, 'data', 'trader.db')).href);
    expect(resolveDatabaseUrl('file:./x/y.db', opts)).toBe(pathToFileURL(path.join(PROJECT_ROOT, 'x', 'y.db')).href);
    expect(resolveDatabaseUrl('file:/tmp/abs.db', opts)).toBe('file:///tmp/abs.db');
    expect(resolveDatabaseUrl('file:///tmp/abs.db', opts)).toBe('file:///tmp/abs.db');
    expect(resolveDatabaseUrl('postgresql://u:p@h:5432/d', opts)).toBe('postgresql://u:p@h:5432/d');
    expect(() => resolveDatabaseUrl('mysql://h/d', opts)).toThrow(/Not a SQLite file: URL/);
  });

  it('migrateDatabase fails with prisma output in the error', async () => {
    await expect(migrateDatabase('postgresql://nobody:secret@127.0.0.1:1/nope')).rejects.toThrow(
      /prisma migrate deploy --config prisma\/postgres\/prisma.config.ts failed \(exit code 1\) for postgresql:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/nope:\n[\s\S]*\S/,
    );
  });
});

describe('schema sync', () => {
  it('prisma/postgres/schema.prisma is derived from prisma/schema.prisma (run `npm run db:sync-postgres`)', () => {
    const sqlite = fs.readFileSync(SQLITE_SCHEMA, 'utf8');
    const postgres = fs.readFileSync(POSTGRES_SCHEMA, 'utf8');
    expect(postgres).toBe(derivePostgresSchema(sqlite));
    expect(modelsOnly(postgres)).toBe(modelsOnly(sqlite));
    expect(modelsOnly(sqlite)).toMatch(/^model Cycle \{/m);
    expect(postgres).toMatch(/provider = "postgresql"/);
    expect(postgres).toMatch(/output {7}= "\.\.\/generated\/postgres"/);
  });

  it('both providers have the same migrations', () => {
    const list = (dir: string) => fs.readdirSync(dir).filter((d) => fs.statSync(path.join(dir, d)).isDirectory()).sort();
    const sqliteMigrations = list(path.join(PROJECT_ROOT, 'prisma', 'migrations'));
    expect(sqliteMigrations.length).toBeGreaterThan(0);
    expect(list(path.join(PROJECT_ROOT, 'prisma', 'postgres', 'migrations'))).toEqual(sqliteMigrations);
  });
});

describe('persistence on sqlite', () => {
  persistenceSuite('sqlite', sqliteTarget);

  it('several processes (workers, CLI) writing one SQLite file wait for the lock instead of failing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-concurrency-'));
    try {
      const url = `file:${path.join(dir, 'trader.db')}`;
      await migrateDatabase(url);
      const writer = path.join(dir, 'writer.ts');
      const imp = (p: string) => JSON.stringify(path.join(PROJECT_ROOT, p));
      fs.writeFileSync(writer, `
        import { saveOrder } from ${imp('activities/persistence/orderStore')};
        import { recordCycle } from ${imp('activities/persistence/recordCycle')};
        import { closeDatabases, openDatabase } from ${imp('prisma/database')};
        async function main() {
          const [url, tag] = process.argv.slice(2);
          const db = openDatabase(url);
          for (let i = 0; i < 25; i++) {
            const cycleId = 'c-' + tag + '-' + i, id = cycleId + ':BTC/USDT:buy', portfolioId = 'p-' + tag;
            const fills = [{ price: 1, quantity: 1, fee: 0, timestamp: 1 }];
            const result = { clientOrderId: id, symbol: 'BTC/USDT', side: 'buy' as const, status: 'filled' as const, requestedQuantity: 1, filledQuantity: 1, avgPrice: 1, fee: 0, fills, deduplicated: false };
            await saveOrder({ clientOrderId: id, portfolioId, cycleId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 1, referencePrice: 1 }, result, { mode: 'paper', market: 'sim:1' }, db);
            await recordCycle({ cycleId, portfolioId, cycleNo: i, mode: 'paper', market: 'sim:1', status: 'completed', startedAt: 1, finishedAt: 2, features: [],
              signals: [{ symbol: 'BTC/USDT', asOf: 1, direction: 'up', confidence: 1, probabilities: { up: 1, down: 0, flat: 0 }, modelVersion: 'm' }], verdicts: [],
              decisions: [{ symbol: 'BTC/USDT', side: 'buy', approved: true, quantity: 1, price: 1, notional: 1, rules: [] }], orders: [result],
              book: { cash: 1, positions: {}, realizedPnlToday: 0, dayStartEquity: 1, day: '2026-01-05' }, prices: {}, equity: 1 }, db);
          }
          await closeDatabases();
        }
        main().catch((e) => { console.error(e); process.exit(1); });
      `);
      const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
      const run = (tag: string) => new Promise<void>((resolve, reject) => {
        execFile(tsx, [writer, url, tag], { cwd: PROJECT_ROOT, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`writer ${tag}: ${stderr || err.message}`)) : resolve()));
      });
      await Promise.all(['a', 'b', 'c'].map(run));
      const db = openDatabase(url);
      expect(await db.cycle.count()).toBe(75);
      expect(await db.riskDecision.count({ where: { orderId: { not: null } } })).toBe(75);
      expect(await db.fill.count()).toBe(75);
    } finally {
      await closeDatabases();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeOnPostgres('persistence on postgres', (serverUrl) => {
  persistenceSuite('postgres', () => postgresTarget(serverUrl));
});
