/**
 * `npm run bench:dashboard`: how fast the cockpit's pages load for a portfolio with 10,000 recorded cycles, against a
 * portfolio with one cycle measured in the same run (the baseline), and whether they stay under a second.
 *
 *   npm run bench:dashboard [-- --cycles 10000 --repeat 7 --db /tmp/cockpit-bench.db]
 *
 * The portfolio is written through the persistence activities themselves (recordCycle, saveOrder) on a fresh SQLite
 * database (tests/helpers/recordedPortfolio.ts): one cycle per real Binance 1h candle of BTC, ETH and SOL (replay
 * market), each with three signals of 72 features, and a round trip every 40 cycles (about 500 orders and fills). The
 * cockpit runs against a Temporal dev server that has no workflow for it (a portfolio whose workflow is gone), as its
 * own process would. Timed: each page and data endpoint over HTTP, and the portfolio page in Chromium until its equity
 * and candlestick charts are drawn; median of --repeat, warm (a cockpit that served the page before: it keeps each
 * portfolio's records and reads only what changed) and cold (the first view after the cockpit starts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startCockpit } from '../dashboard/server';
import { dashboardSettings } from '../dashboard/settings';
import { closeDatabases, migrateDatabase, openDatabase, type Db } from '../prisma/database';
import { launchChromium } from '../tests/helpers/chromium';
import { recordedPortfolio } from '../tests/helpers/recordedPortfolio';
import { temporalCliPath } from '../workers/temporalServer';

const GOAL_MS = 1_000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Writes `cycles` cycles of one portfolio through recordCycle and saveOrder. */
async function seed(db: Db, portfolioId: string, cycles: number): Promise<{ orders: number; seconds: number }> {
  const began = Date.now();
  const orders = await (await recordedPortfolio(db, portfolioId)).append(cycles);
  return { orders, seconds: (Date.now() - began) / 1000 };
}

/** Times the pages of the two seeded portfolios, warm and cold, through HTTP and in Chromium, and prints the table. */
async function measure(client: Client, db: Db, cycles: number, repeat: number): Promise<void> {
  const settings = dashboardSettings({ DASHBOARD_PORT: '0' });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });

    type Probe = (base: string, id: string) => Promise<void>;
    const get = (p: (id: string) => string): Probe => async (base, id) => {
      const res = await fetch(`${base}${p(id)}`, { headers: { accept: 'text/html' } });
      if (!res.ok) throw new Error(`${p(id)}: HTTP ${res.status}`);
      await res.arrayBuffer();
    };
    /** The portfolio page in Chromium, until its equity and candlestick charts are drawn. */
    const drawn: Probe = async (base, id) => {
      await page.goto(`${base}/portfolios/${id}`);
      await page.waitForFunction(() => {
        const c = (globalThis as unknown as { cockpit: { charts: { equity?: unknown; candles?: { payload?: unknown } } } }).cockpit;
        return Boolean(c.charts.equity && c.charts.candles?.payload);
      });
    };
    const probes: Array<[string, Probe]> = [
      ['portfolio page (HTML)', get((id) => `/portfolios/${id}`)],
      ['candles + fills (BTC)', get((id) => `/api/portfolios/${id}/candles?symbol=BTC%2FUSDT`)],
      ['analytics, 30 days', get((id) => `/api/portfolios/${id}/analytics?period=30d`)],
      ['version poll', get((id) => `/api/version?portfolio=${id}`)],
      ['overview', get(() => '/')],
      ['portfolio page in Chromium, charts drawn', drawn],
    ];

    const timed = async (run: () => Promise<void>) => {
      const t = process.hrtime.bigint();
      await run();
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    // Warm: one cockpit that has served the page before (it keeps each portfolio's records and reads what changed).
    const warm = await startCockpit({ settings, db, client });
    const warmMedian = async (probe: Probe, id: string) => {
      await probe(warm.url, id);
      const xs: number[] = [];
      for (let i = 0; i < repeat; i++) xs.push(await timed(() => probe(warm.url, id)));
      return mid(xs);
    };
    // Cold: the first view after the cockpit starts, a new cockpit each time.
    const coldMedian = async (probe: Probe, id: string) => {
      const xs: number[] = [];
      for (let i = 0; i < repeat; i++) {
        const fresh = await startCockpit({ settings, db, client });
        if (probe !== drawn) await get(() => '/healthz')(fresh.url, id);
        xs.push(await timed(() => probe(fresh.url, id)));
        await fresh.close();
      }
      return mid(xs);
    };

    const rows: string[][] = [];
    for (const [label, probe] of probes) {
      const base = await warmMedian(probe, 'bench-one');
      const heavy = await warmMedian(probe, 'bench-big');
      const cold = await coldMedian(probe, 'bench-big');
      rows.push([label, base.toFixed(1), heavy.toFixed(1), (heavy / base).toFixed(1), cold.toFixed(1), Math.max(heavy, cold) < GOAL_MS ? 'yes' : 'NO']);
    }
    await warm.close();

    const widths = [42, 10, 14, 7, 16, 6];
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' ');
    console.log('');
    console.log(`median of ${repeat}, ms; ratio = ${cycles.toLocaleString('en-US')} cycles over 1 cycle, both warm; cold = the first view after the cockpit starts`);
    console.log(line(['', '1 cycle', `${cycles.toLocaleString('en-US')} cycles`, 'ratio', `${cycles.toLocaleString('en-US')}, cold`, '< 1 s']));
    for (const r of rows) console.log(line(r));
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const cycles = arg('cycles', 10_000);
  const repeat = arg('repeat', 7);
  // --db keeps the seeded database for the next run (seeding 10,000 cycles takes a minute or two).
  const kept = process.argv.includes('--db') ? path.resolve(process.argv[process.argv.indexOf('--db') + 1]) : undefined;
  const dir = kept ? path.dirname(kept) : fs.mkdtempSync(path.join(os.tmpdir(), 'cockpit-bench-'));
  const file = kept ?? path.join(dir, 'trader.db');
  const reuse = kept !== undefined && fs.existsSync(kept);
  const url = `file:${file}`;
  await migrateDatabase(url);
  const db = openDatabase(url);
  if (reuse && (await db.cycle.count({ where: { portfolioId: 'bench-big' } })) === cycles) {
    console.log(`reusing ${file}: ${cycles.toLocaleString('en-US')} cycles`);
  } else {
    if (reuse) throw new Error(`${file} does not hold a ${cycles}-cycle portfolio: remove it to seed again`);
    // A bench database: no fsync per cycle while writing it (the measured reads are unaffected).
    await db.$executeRawUnsafe('PRAGMA synchronous = OFF');
    console.log(`seeding ${cycles.toLocaleString('en-US')} cycles through recordCycle/saveOrder (SQLite ${file}) ...`);
    const big = await seed(db, 'bench-big', cycles);
    await seed(db, 'bench-one', 1);
    console.log(`  ${big.orders} orders, ${big.seconds.toFixed(1)} s to write`);
  }

  const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalCliPath() } } });
  try {
    await measure(env.client, db, cycles, repeat);
  } finally {
    await env.teardown();
    await closeDatabases();
    if (!kept) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
