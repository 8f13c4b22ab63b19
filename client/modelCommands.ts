/**
 * tradectl commands of the signal model: `retrain` (the weekly schedule, or one run now) and `models` (the
 * registry, each version's out-of-time figures, live hit rate against confidence, retraining decisions).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { msToNumber } from '@temporalio/common/lib/time';
import { InvalidArgumentError, type Command } from 'commander';
import { modelPerformance, type VersionPerformance } from '../activities/persistence/scoreSignals';
import { readCurrent, readManifest, registryRoot } from '../activities/modelRegistry';
import { recentRetrainingDecisions } from '../activities/training/promotion';
import { checkRetrainingInput, type RetrainingInput, type TrainingProfile } from '../domain/retraining';
import { ensureRetrainingSchedule, RETRAINING_SCHEDULE_ID, startRetraining } from './retraining';
import { connectClient } from './tradingClient';

function interval(value: string): number {
  try {
    const ms = msToNumber(value as Parameters<typeof msToNumber>[0]);
    if (!Number.isFinite(ms) || ms < 60_000) throw new Error();
    return ms;
  } catch {
    throw new InvalidArgumentError(`'${value}' is not an interval of at least a minute (try 1d or 12h)`);
  }
}

function profile(value: string): TrainingProfile {
  if (value !== 'full' && value !== 'quick') throw new InvalidArgumentError(`'${value}' is not a profile: use full or quick`);
  return value;
}

function improvement(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`'${value}' is not a log-loss difference in [0, 1)`);
  return n;
}

export function registerModelCommands(program: Command, out: (line: string) => void): void {
  program
    .command('retrain')
    .description('create or update the weekly retraining schedule (Sunday 02:00 UTC); --now runs one retraining at once')
    .option('--now', 'start one retraining run now, outside the schedule')
    .option('--wait', 'with --now: wait for the decision and print it')
    .option('--every <interval>', 'schedule at this interval instead of weekly, e.g. 1d', interval)
    .option('--profile <name>', 'full (what npm run train does, the default) or quick (small and fast)', profile)
    .option('--symbols <list>', 'base assets to train on, e.g. BTC,ETH (default: all seven)', (v) => v.split(',').map((s) => s.trim().toUpperCase()))
    .option('--from <date>', 'first day of data, e.g. 2022-01-01')
    .option('--to <date>', 'day after the last day of data')
    .option('--min-improvement <logloss>', 'log-loss the candidate must gain over the served model (default 0.002)', improvement)
    .action(async (opts) => {
      const input: RetrainingInput = {
        ...(opts.profile && { profile: opts.profile }),
        ...(opts.symbols && { symbols: opts.symbols }),
        ...(opts.from && { from: opts.from }),
        ...(opts.to && { to: opts.to }),
        ...(opts.minImprovement !== undefined && { minImprovement: opts.minImprovement }),
      };
      // Refused before contacting anything, naming every problem.
      const checked = checkRetrainingInput(input);
      if (!checked.ok) throw new Error(`invalid retraining options: ${checked.reason}`);
      const client = await connectClient();
      if (opts.now) {
        const handle = await startRetraining(client, input);
        out(`started ${handle.workflowId}: watch it in the Web UI, or \`temporal workflow show -w ${handle.workflowId}\``);
        if (opts.wait) {
          const result = await handle.result();
          out(`${result.decision}: ${result.reason}`);
          out(`CURRENT = ${result.current ?? '(none)'}`);
        }
        return;
      }
      const { created, nextRuns } = await ensureRetrainingSchedule(client, { everyMs: opts.every, input });
      out(`${created ? 'created' : 'updated'} schedule ${RETRAINING_SCHEDULE_ID}; next runs: ${nextRuns.map((d) => d.toISOString()).join(', ')}`);
      out(`\`temporal schedule describe --schedule-id ${RETRAINING_SCHEDULE_ID}\` or the Web UI's Schedules page shows it`);
    });

  program
    .command('models')
    .description('model versions (CURRENT marked) with out-of-time figures, live hit rate against confidence, retraining decisions')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const report = await modelsReport();
      out(opts.json ? JSON.stringify(report, null, 2) : formatModelsReport(report));
    });
}

interface VersionSummary {
  version: string;
  current: boolean;
  features: number;
  testWindow: string | null;
  testAccuracy: number | null;
  testLogLoss: number | null;
  live: VersionPerformance;
}

/** `db`: the database to read live figures and decisions from (the cockpit passes its own). */
export async function modelsReport(db?: Parameters<typeof modelPerformance>[1]) {
  const root = registryRoot();
  const current = readCurrent(root);
  const versions: VersionSummary[] = [];
  for (const name of fs.readdirSync(root).sort().reverse()) {
    if (!fs.existsSync(path.join(root, name, 'manifest.json'))) continue;
    const m = readManifest(path.join(root, name)) as ReturnType<typeof readManifest> & { metrics?: { test?: Record<string, unknown> } };
    const test = m.metrics?.test as { ensemble?: { accuracy: number; logLoss: number }; accuracy?: number; logLoss?: number } | undefined;
    versions.push({
      version: m.version,
      current: m.version === current,
      features: m.featureNames.length,
      testWindow: m.windows?.test ? `${m.windows.test.from.slice(0, 10)} → ${m.windows.test.to.slice(0, 10)}` : null,
      testAccuracy: test?.ensemble?.accuracy ?? test?.accuracy ?? null,
      testLogLoss: test?.ensemble?.logLoss ?? test?.logLoss ?? null,
      live: await modelPerformance(m.version, db),
    });
  }
  // The served version first, then the others, newest name first.
  versions.sort((a, b) => Number(b.current) - Number(a.current));
  const decisions = await recentRetrainingDecisions(5, db);
  return { registry: root, current, versions, decisions };
}

const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);

function formatModelsReport(r: Awaited<ReturnType<typeof modelsReport>>): string {
  const lines = [`registry ${r.registry}`];
  for (const v of r.versions) {
    lines.push(`${v.current ? '* ' : '  '}${v.version}  ${v.features} features  test ${v.testWindow ?? '?'}: accuracy ${pct(v.testAccuracy)}, ` +
      `log-loss ${v.testLogLoss?.toFixed(3) ?? '–'}  live: ${v.live.scored} scored, hit rate ${pct(v.live.hitRate)} at mean confidence ${pct(v.live.meanConfidence)}`);
    for (const b of v.live.bands.filter((x) => x.scored > 0)) {
      lines.push(`      confidence ${b.band}: ${b.scored} signals, hit rate ${pct(b.hitRate)}, mean confidence ${pct(b.meanConfidence)}`);
    }
  }
  lines.push('retraining decisions (newest first):');
  if (r.decisions.length === 0) lines.push('  none yet: `tradectl retrain --now` runs one');
  for (const d of r.decisions) lines.push(`  ${d.decidedAt.toISOString()} ${d.id}: ${d.decision} ${d.candidateVersion} — ${d.reason}`);
  return lines.join('\n');
}
