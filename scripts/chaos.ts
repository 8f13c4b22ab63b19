/**
 * The fault-suite soak: thousands of generated fault schedules (tests/chaos/schedules.ts), the property `npm test`
 * runs 200 of, with every invariant checked after each; then rounds of a live portfolio through the whole Temporal
 * stack with worker processes SIGKILLed mid-order and the server restarted (tests/chaos/temporalChaos.ts). Prints
 * progress to stderr and one summary line, for the README's reliability table, to stdout; exits 1 when any
 * invariant broke (the failing schedules are printed).
 *
 *   npm run chaos -- --schedules 2000 [--seed 1] [--temporal 3]   (--temporal 0 skips the Temporal rounds)
 *
 * Loopback only: the emulators listen on 127.0.0.1, a fresh SQLite database in a temporary directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeDatabases, migrateDatabase } from '../prisma/database';
import { emptyCounts, runSchedules, summaryLine } from '../tests/chaos/schedules';
import { runTemporalChaos } from '../tests/chaos/temporalChaos';

function option(name: string, fallback: number, min = 1): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number >= ${min}, got '${process.argv[i + 1] ?? ''}'`);
  return value;
}

async function main(): Promise<number> {
  const schedules = option('schedules', 2000);
  const seed = option('seed', 1);
  const temporalRounds = option('temporal', 3, 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-chaos-'));
  const url = `file:${path.join(dir, 'trader.db')}`;
  process.env.DATABASE_URL = url;
  await migrateDatabase(url);
  const counts = emptyCounts();
  const started = Date.now();
  const failing = await runSchedules(schedules, seed, counts, (i) => {
    if ((i + 1) % 100 === 0) process.stderr.write(`chaos: ${i + 1}/${schedules} schedules, ${counts.invariantBreaks} invariant breaks so far\n`);
  });
  for (const f of failing.slice(0, 5)) process.stderr.write(`${JSON.stringify(f.schedule)}\n  ${f.report.breaks.join('\n  ')}\n`);
  await closeDatabases();
  fs.rmSync(dir, { recursive: true, force: true });
  let temporal = '';
  let temporalOk = true;
  if (temporalRounds > 0) {
    const t = await runTemporalChaos(temporalRounds, seed, (line) => process.stderr.write(`${line}\n`));
    for (const b of t.breaks) process.stderr.write(`chaos temporal: ${b}\n`);
    temporalOk = t.breaks.length === 0;
    temporal = ` | temporal: ${t.rounds} live rounds, ${t.faultsInjected} faults, ${t.workerKills} worker process kills, ${t.serverRestarts} server restart(s), ` +
      `${t.orders} orders, duplicates: ${t.duplicates}, workflow task failures: ${t.workflowTaskFailures}, invariant breaks: ${t.breaks.length}`;
    await closeDatabases();
  }
  process.stdout.write(`${summaryLine('chaos soak', seed, counts, Date.now() - started)}${temporal}\n`);
  return counts.invariantBreaks === 0 && counts.duplicates === 0 && temporalOk ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
