/**
 * `npm run bench:cli`: how long `tradectl status` takes from a cold process to its answer, the bundled CLI
 * (bin/buildCli.js, the default) against the same command run from the TypeScript sources through tsx
 * (TRADECTL_SOURCE=1, how every call ran before), both against one Temporal dev server started here, in the same
 * run. Each run is a fresh `node bin/tradectl.js status` process asking for a portfolio that does not exist, so it
 * measures start-up, connecting and one query round trip, and nothing a portfolio's worker adds.
 *
 *   npm run bench:cli [-- --runs 9]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../tests/helpers/loopbackServer';
import { startDevServer } from '../workers/temporalServer';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'tradectl.js');

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`--${name} must be a positive whole number`);
  return value;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeStatus(env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [BIN, 'status', '--portfolio', 'bench-absent'], { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!/workflow not found/.test(run.stderr)) throw new Error(`tradectl status did not answer as expected: ${run.stderr || run.stdout}`);
  return ms;
}

async function main(): Promise<void> {
  const runs = option('runs', 9);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));
  const address = `127.0.0.1:${await freePort()}`;
  const server = await startDevServer({ address, uiPort: await freePort(), dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'server.log') });
  try {
    const env = { ...process.env, TEMPORAL_ADDRESS: address };
    // The bundle as an install leaves it; its build (what the first call after an edit pays) is timed on its own.
    const built = process.hrtime.bigint();
    execFileSync(process.execPath, [path.join(ROOT, 'bin', 'buildCli.js')], { env, stdio: 'ignore' });
    const buildMs = Number(process.hrtime.bigint() - built) / 1e6;
    const bundle: number[] = [];
    const source: number[] = [];
    timeStatus(env); // one of each first: the OS file cache, not our code, is what a first run warms
    timeStatus({ ...env, TRADECTL_SOURCE: '1' });
    for (let i = 0; i < runs; i++) {
      bundle.push(timeStatus(env));
      source.push(timeStatus({ ...env, TRADECTL_SOURCE: '1' }));
    }
    const b = median(bundle);
    const s = median(source);
    console.log(`tradectl status, cold process to answer, median of ${runs} runs each (alternating), same dev server:`);
    console.log(`  bundled CLI (default)        ${b.toFixed(0).padStart(6)} ms   (min ${Math.min(...bundle).toFixed(0)}, max ${Math.max(...bundle).toFixed(0)})`);
    console.log(`  sources through tsx          ${s.toFixed(0).padStart(6)} ms   (min ${Math.min(...source).toFixed(0)}, max ${Math.max(...source).toFixed(0)})`);
    console.log(`  ratio                        ${(s / b).toFixed(1)}x faster`);
    console.log(`  bundle build (after an edit) ${buildMs.toFixed(0).padStart(6)} ms, once`);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
