/**
 * trainCandidate activity: runs the training pipeline as child processes and returns the candidate version.
 *
 *   1. bash models/venv.sh            the pinned Python environment (created or refreshed when needed)
 *   2. scripts/build-features.ts      the training matrix, with the TypeScript feature code the worker serves
 *   3. models/train.py                walk-forward selection, out-of-time test, ONNX export into the registry
 *
 * The new version lands in the registry (./modelRegistry's root) but CURRENT is not touched: promotion is the
 * workflow's decision. Long-running: it heartbeats every few seconds with the pipeline's latest stage line, so a
 * dead worker is noticed within the heartbeat timeout, and a cancelled activity kills its child process.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TrainingProfile } from '../../domain/retraining';
import { registryRoot } from '../modelRegistry';
import { failure } from '../../domain/failures';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const HEARTBEAT_EVERY_MS = 5_000;

export interface TrainCandidateInput {
  profile: TrainingProfile;
  symbols?: string[];
  from?: string;
  to?: string;
}

export interface TrainCandidateResult {
  version: string;
  /** Prefix of the training matrix (the evaluation reads its newest rows). */
  matrix: string;
  testWindow: { from: string; to: string; rows: number };
  /** The pipeline's own summary line (test figures of every model). */
  summary: Record<string, unknown>;
  durationMs: number;
}

export async function trainCandidate(input: TrainCandidateInput): Promise<TrainCandidateResult> {
  const started = Date.now();
  const ctx = Context.current();
  const root = registryRoot();
  fs.mkdirSync(root, { recursive: true });
  const workDir = path.join(process.env.TRAINING_WORK_DIR ?? path.join(PROJECT_ROOT, 'data', 'training'), safeName(ctx.info.workflowExecution?.workflowId ?? `standalone-${ctx.info.activityId}`));
  fs.mkdirSync(workDir, { recursive: true });
  const matrix = path.join(workDir, 'features');

  const venv = await run('python environment', 'bash', [path.join(PROJECT_ROOT, 'models', 'venv.sh')]);
  const python = venv.stdout.trim().split('\n').pop()!;

  const slice = [
    ...(input.symbols ? ['--symbols', input.symbols.join(',')] : []),
    ...(input.from ? ['--from', input.from] : []),
    ...(input.to ? ['--to', input.to] : []),
  ];
  await run('feature matrix', process.execPath, ['--require', 'tsx/cjs', path.join(PROJECT_ROOT, 'scripts', 'build-features.ts'), '--out', matrix, ...slice]);

  const train = await run('training', python, [
    '-u', path.join(PROJECT_ROOT, 'models', 'train.py'), '--features', matrix, '--registry', root, '--profile', input.profile,
  ]);
  const line = train.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw failure('TrainingFailed', 'models/train.py finished without its RESULT line');
  const summary = JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown> & { version: string; testWindow: TrainCandidateResult['testWindow'] };
  return { version: summary.version, matrix, testWindow: summary.testWindow, summary, durationMs: Date.now() - started };

  /** Runs one step, heartbeating with its latest progress line; output is kept for errors and parsing. */
  function run(step: string, command: string, args: string[]): Promise<{ stdout: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd: PROJECT_ROOT, env: { ...process.env, PYTHONHASHSEED: '42' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let latest = `${step}: started`;
      const note = (chunk: Buffer, into: 'out' | 'err') => {
        const text = chunk.toString();
        if (into === 'out') stdout += text;
        else stderr = (stderr + text).slice(-20_000);
        const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
        const stage = lines.reverse().find((l) => l.startsWith('stage:') || / -> \d+ rows$/.test(l));
        if (stage) latest = `${step}: ${stage}`;
      };
      child.stdout.on('data', (c: Buffer) => note(c, 'out'));
      child.stderr.on('data', (c: Buffer) => note(c, 'err'));
      const beat = setInterval(() => ctx.heartbeat({ stage: latest }), HEARTBEAT_EVERY_MS);
      ctx.heartbeat({ stage: latest });
      const onCancel = () => child.kill('SIGTERM');
      ctx.cancellationSignal.addEventListener('abort', onCancel);
      child.on('error', (err) => {
        clearInterval(beat);
        reject(failure('TrainingEnvironmentMissing', `${step}: cannot run ${command}: ${err.message}`));
      });
      child.on('close', (code, signal) => {
        clearInterval(beat);
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
        if (ctx.cancellationSignal.aborted) return reject(new CancelledFailure(`${step} cancelled`));
        if (code === 0) return resolve({ stdout });
        const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-15).join('\n');
        if (signal) {
          // Killed from outside (OOM killer, a shutting-down worker): another attempt may well succeed.
          return reject(failure('TrainingInterrupted', `${step} was killed by ${signal}:\n${tail}`));
        }
        // The pipeline is deterministic: what failed once (missing data, a bug) fails again.
        reject(failure('TrainingFailed', `${step} failed (exit ${code}):\n${tail}`));
      });
    });
  }
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
}
