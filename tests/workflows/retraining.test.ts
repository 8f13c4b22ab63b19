/**
 * Retraining on a real Temporal dev server with the production training worker: a real (small, `quick`)
 * training run on real candles, evaluation against the served model, promotion, the decision record, and an
 * inference call that serves the promoted model without any restart. Plus the weekly schedule.
 */
import { mkdtempSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { computeFeatures } from '../../activities/features';
import { FEATURE_NAMES } from '../../domain/features/definition';
import { inferSignals, loadModel, unloadModel } from '../../activities/inference';
import { DEFAULT_REGISTRY_ROOT, readCurrent, readManifest, writeCurrent } from '../../activities/modelRegistry';
import { recentRetrainingDecisions } from '../../activities/training/promotion';
import { ensureRetrainingSchedule, RETRAINING_SCHEDULE_ID } from '../../client/retraining';
import { TASK_QUEUES } from '../../workflows/queues';
import type { Candle } from '../../domain/types';
import { retrainingWorkflow } from '../../workflows/retraining';
import { OHLCV_DIR, startTestStack, type TestStack } from '../helpers/testStack';
import { readFileSync } from 'node:fs';

/** The previous generation of the model (21 features): today's workers cannot serve it. */
const PREVIOUS_GENERATION = '20261121-bf5fb3aa';

let stack: TestStack;
let dir: string;
let root: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'retraining-wf-'));
  root = path.join(dir, 'registry');
  cpSync(path.join(DEFAULT_REGISTRY_ROOT, PREVIOUS_GENERATION), path.join(root, PREVIOUS_GENERATION), { recursive: true });
  writeCurrent(root, PREVIOUS_GENERATION);
  process.env.MODEL_DIR = root;
  process.env.MODEL_RELOAD_CHECK_MS = '0';
  process.env.TRAINING_WORK_DIR = path.join(dir, 'work');
  await unloadModel();
  stack = await startTestStack();
  await stack.startWorkers(['workflows', 'training']);
});
afterAll(async () => {
  await stack?.teardown();
  await unloadModel();
  delete process.env.MODEL_DIR;
  delete process.env.MODEL_RELOAD_CHECK_MS;
  delete process.env.TRAINING_WORK_DIR;
  rmSync(dir, { recursive: true, force: true });
});

function lastCandles(base: string, count: number): Candle[] {
  const lines = readFileSync(path.join(OHLCV_DIR, `binance_${base}-USDT_1h.csv`), 'utf8').trim().split('\n');
  return lines.slice(-count).map((l) => l.split(',').map(Number) as Candle);
}

describe('retraining workflow', () => {
  it('trains a candidate, evaluates, promotes and records it; a running worker serves it without restart', async () => {
    expect((await loadModel()).version).toBe(PREVIOUS_GENERATION);

    const handle = await stack.env.client.workflow.start(retrainingWorkflow, {
      workflowId: 'retrain-test-promote',
      taskQueue: TASK_QUEUES.workflows,
      // A small, fast training configuration: two symbols, half a year, the `quick` profile.
      args: [{ profile: 'quick', symbols: ['BTC', 'ETH'], from: '2023-06-01', minEvaluationRows: 500 }],
    });
    // While it trains, the activity heartbeats with the pipeline's progress (the Web UI shows it as its details).
    const heartbeats: string[] = [];
    const done = handle.result();
    let finished = false;
    void done.finally(() => (finished = true)).catch(() => undefined);
    while (!finished) {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      for (const p of pending) {
        const payload = p.heartbeatDetails?.payloads?.[0];
        if (payload) heartbeats.push((defaultPayloadConverter.fromPayload(payload) as { stage: string }).stage);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const result = await done;

    // The SDK throttles heartbeats (the server sees the first at once, then one per throttle interval).
    expect(heartbeats.length).toBeGreaterThan(0);
    heartbeats.forEach((s) => expect(s).toMatch(/^(python environment|feature matrix|training): /));
    expect(result.decision).toBe('promote');
    expect(result.reason).toMatch(new RegExp(`no comparable current model \\(current ${PREVIOUS_GENERATION} reads 21 features`));
    expect(result.reason).toContain('class-frequency baseline');
    expect(result.evaluation.window!.rows).toBeGreaterThanOrEqual(500);
    expect(result.current).toBe(result.candidateVersion);
    expect(readCurrent(root)).toBe(result.candidateVersion);

    const manifest = readManifest(path.join(root, result.candidateVersion));
    expect(manifest.featureNames).toEqual([...FEATURE_NAMES]);
    expect(manifest.windows?.test?.from.slice(0, 10)).toBe(new Date(result.evaluation.window!.from).toISOString().slice(0, 10));

    const [row] = await recentRetrainingDecisions(5);
    expect(row).toMatchObject({
      id: 'retrain-test-promote', decision: 'promote', candidateVersion: result.candidateVersion, currentVersion: PREVIOUS_GENERATION,
      metric: 'logLoss', margin: 0.002, currentMetric: null, windowRows: result.evaluation.window!.rows, reason: result.reason,
    });
    // SQLite's REAL may round-trip the last bit differently.
    expect(row.candidateMetric).toBeCloseTo(result.rule.candidateMetric!, 12);
    expect(row.baselineMetric).toBeCloseTo(result.rule.baselineMetric!, 12);

    // The same process kept its inference session cache: the next call serves the promoted version.
    const features = await computeFeatures({
      snapshots: [{ symbol: 'BTC/USDT', timeframe: '1h', candles: lastCandles('BTC', 400), source: 'replay:test' }],
    });
    const [signal] = await inferSignals({ features });
    expect(signal.modelVersion).toBe(result.candidateVersion);
  });

  it('refuses bad input at once, naming the problem', async () => {
    const handle = await stack.env.client.workflow.start(retrainingWorkflow, {
      workflowId: 'retrain-test-invalid', taskQueue: TASK_QUEUES.workflows, args: [{ symbols: ['btc'] }],
    });
    const failure = await handle.result().catch((e) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(failure.cause.message).toBe('invalid retraining input: symbols must be a non-empty list of base assets in capitals, e.g. ["BTC", "ETH"]');
  });

  it('is scheduled weekly by `tradectl retrain`, which updates rather than duplicates the schedule', async () => {
    const client = stack.env.client;
    const first = await ensureRetrainingSchedule(client);
    expect(first.created).toBe(true);
    for (const next of first.nextRuns) {
      expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([0, 2, 0]);
    }
    const second = await ensureRetrainingSchedule(client, { everyMs: 24 * 3_600_000, input: { profile: 'quick' } });
    expect(second.created).toBe(false);
    const description = await client.schedule.getHandle(RETRAINING_SCHEDULE_ID).describe();
    expect(description.spec.intervals?.[0].every).toBe(24 * 3_600_000);
    expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'retrainingWorkflow', taskQueue: TASK_QUEUES.workflows, args: [{ profile: 'quick' }] });
    expect(description.policies.overlap).toBe('SKIP');
    await client.schedule.getHandle(RETRAINING_SCHEDULE_ID).delete();
  });
});
