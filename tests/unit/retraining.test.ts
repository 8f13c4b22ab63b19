/**
 * The retraining rules and the activities around training: the promotion rule, the evaluation of a candidate
 * against the served model on the newest out-of-time rows (through onnxruntime-node), the compare-and-set
 * promotion and the decision record. The whole workflow, with a real training run, is in
 * tests/workflows/retraining.test.ts.
 */
// First: lets onnxruntime-node's output arrays pass its own type check under Jest (see the file).
import '../setup/onnxRealm';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_REGISTRY_ROOT, readCurrent, writeCurrent } from '../../activities/modelRegistry';
import { evaluateCandidate } from '../../activities/training/evaluateCandidate';
import { promoteModel, recentRetrainingDecisions, recordRetrainingDecision } from '../../activities/training/promotion';
import { checkRetrainingInput, decidePromotion, type Evaluation } from '../../domain/retraining';
import { closeDatabases, migrateDatabase, openDatabase } from '../../prisma/database';
import { writeTrainingMatrix } from '../../scripts/build-features';

const OHLCV_DIR = path.resolve(__dirname, '../../../shared/data/ohlcv');
const COMMITTED = readCurrent(DEFAULT_REGISTRY_ROOT)!;
const PREVIOUS_GENERATION = '20261121-bf5fb3aa';

const score = (version: string, logLoss: number) => ({ version, rows: 5000, logLoss, accuracy: 0.5, brier: 0.6, buyCount: 10, buyPrecision: 0.4 });
const window = { from: 0, to: 1, rows: 5000 };

describe('promotion rule', () => {
  const base: Evaluation = { window, windowNote: 'test', candidate: score('new', 0.99), currentVersion: 'old', current: score('old', 1.0), baseline: { logLoss: 1.07, accuracy: 0.45 } };

  it('promotes only when the candidate beats the current model by the margin', () => {
    expect(decidePromotion(base, 0.002, 1000)).toMatchObject({
      promote: true, metric: 'logLoss', margin: 0.002, candidateMetric: 0.99, currentMetric: 1.0,
      reason: 'promote: candidate log-loss 0.9900 vs current old 1.0000 on 5000 rows: improvement 0.0100 >= margin 0.0020',
    });
    expect(decidePromotion({ ...base, candidate: score('new', 0.999) }, 0.002, 1000)).toMatchObject({
      promote: false, reason: expect.stringMatching(/^keep: .* improvement 0\.0010 < margin 0\.0020$/),
    });
  });

  it('without a comparable current model, the candidate must beat the class-frequency baseline by the margin', () => {
    const none = { ...base, current: null, currentNotScored: 'the registry has no CURRENT yet' };
    expect(decidePromotion(none, 0.002, 1000)).toMatchObject({ promote: true, reason: expect.stringContaining('no comparable current model (the registry has no CURRENT yet)') });
    expect(decidePromotion({ ...none, candidate: score('new', 1.069) }, 0.002, 1000)).toMatchObject({ promote: false });
  });

  it('keeps a candidate that is the served version itself (same data, same bytes)', () => {
    const same = { ...base, candidate: score('old', 0.9), current: null, currentNotScored: 'CURRENT already names the candidate (identical bytes)' };
    expect(decidePromotion(same, 0.002, 1000)).toMatchObject({ promote: false, reason: 'keep: the candidate is old, the version already served (identical bytes)' });
  });

  it('decides nothing on too small a window', () => {
    expect(decidePromotion({ ...base, window: { ...window, rows: 999 } }, 0.002, 1000)).toMatchObject({
      promote: false, reason: 'keep: the evaluation window has 999 rows, fewer than 1000 (test)',
    });
  });

  it('checks the workflow input, naming every problem', () => {
    expect(checkRetrainingInput(undefined)).toEqual({ ok: true, value: { profile: 'full', minImprovement: 0.002, minEvaluationRows: 1000 } });
    expect(checkRetrainingInput({ symbols: ['btc'], from: '2023-13', profile: 'huge' as never, minImprovement: -1 })).toEqual({
      ok: false,
      reason: 'symbols must be a non-empty list of base assets in capitals, e.g. ["BTC", "ETH"]; from must be a UTC date such as 2023-06-01 or ' +
        '2023-06-01T00:00Z; profile must be full or quick; minImprovement must be a log-loss difference in [0, 1)',
    });
  });
});

describe('evaluation, promotion and record on a registry', () => {
  let dir: string;
  let root: string;
  let matrix: string;

  /** The committed model under another version name (same bytes, so the same predictions). */
  function copyVersion(from: string, as: string) {
    cpSync(path.join(DEFAULT_REGISTRY_ROOT, from), path.join(root, as), { recursive: true });
    const file = path.join(root, as, 'manifest.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), version: as }));
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'retraining-'));
    root = path.join(dir, 'registry');
    copyVersion(COMMITTED, 'candidate');
    copyVersion(COMMITTED, 'served');
    copyVersion(PREVIOUS_GENERATION, 'old-features');
    writeCurrent(root, 'served');
    process.env.MODEL_DIR = root;
    // December 2023: inside the committed model's out-of-time test window.
    matrix = path.join(dir, 'features');
    writeTrainingMatrix({ out: matrix, symbols: ['BTC', 'ETH'], from: Date.UTC(2023, 11, 1), to: null, horizon: 4, threshold: 0.004, dataDir: OHLCV_DIR }, () => undefined);
  });
  afterAll(async () => {
    delete process.env.MODEL_DIR;
    await closeDatabases();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scores candidate and current on the same newest rows; the same model gains nothing and is kept', async () => {
    const e = await evaluateCandidate({ candidateVersion: 'candidate', matrix });
    expect(e.currentVersion).toBe('served');
    expect(e.window!.rows).toBeGreaterThan(1000);
    expect(e.window!.from).toBeGreaterThanOrEqual(Date.UTC(2023, 11, 1));
    expect(e.candidate!.logLoss).toBeGreaterThan(0.5);
    expect(e.candidate!.logLoss).toBeLessThan(1.2);
    expect(e.current).toEqual({ ...e.candidate, version: 'served' });
    expect(e.baseline!.logLoss).toBeGreaterThan(e.candidate!.logLoss);
    expect(decidePromotion(e, 0.002, 1000)).toMatchObject({ promote: false, reason: expect.stringContaining('improvement 0.0000 < margin 0.0020') });
  });

  it('a current model reading other features is not compared: the candidate must beat the baseline', async () => {
    writeCurrent(root, 'old-features');
    const e = await evaluateCandidate({ candidateVersion: 'candidate', matrix });
    expect(e.current).toBeNull();
    expect(e.currentNotScored).toMatch(/current old-features reads 21 features, not the \d+ the feature code computes today/);
    expect(decidePromotion(e, 0.002, 1000)).toMatchObject({ promote: true, reason: expect.stringContaining('class-frequency baseline') });
  });

  it('promotes by compare-and-set: not over a CURRENT that changed since the evaluation', async () => {
    writeCurrent(root, 'served');
    await expect(promoteModel({ version: 'candidate', expectedCurrent: 'old-features' })).resolves.toMatchObject({
      promoted: false, current: 'served', reason: 'CURRENT changed from old-features to served while the candidate was evaluated; not overwritten',
    });
    expect(readCurrent(root)).toBe('served');
    await expect(promoteModel({ version: 'candidate', expectedCurrent: 'served' })).resolves.toMatchObject({ promoted: true, previous: 'served', current: 'candidate' });
    expect(readCurrent(root)).toBe('candidate');
    // A retried activity after a promotion that went through.
    await expect(promoteModel({ version: 'candidate', expectedCurrent: 'served' })).resolves.toMatchObject({ promoted: true, current: 'candidate' });
    await expect(promoteModel({ version: 'no-such', expectedCurrent: 'candidate' })).rejects.toMatchObject({ type: 'InvalidManifest' });
  });

  it('records each decision once, with its evidence', async () => {
    const url = `file:${path.join(dir, 'trader.db')}`;
    await migrateDatabase(url);
    const db = openDatabase(url);
    const evaluation: Evaluation = { window, windowNote: 'w', candidate: score('candidate', 0.99), currentVersion: 'served', current: score('served', 1), baseline: null };
    const decision = decidePromotion(evaluation, 0.002, 1000);
    const record = { workflowId: 'retrain-1', runId: 'r1', candidateVersion: 'candidate', evaluation, decision, promotion: { promoted: true, previous: 'served', current: 'candidate', reason: 'ok' } };
    await recordRetrainingDecision(record, db);
    await recordRetrainingDecision(record, db);
    const rows = await recentRetrainingDecisions(10, db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 'retrain-1', decision: 'promote', candidateVersion: 'candidate', currentVersion: 'served', candidateMetric: 0.99, currentMetric: 1, margin: 0.002, windowRows: 5000 });
    expect(JSON.parse(rows[0].evaluation).evaluation.current.version).toBe('served');

    // A promote decision whose promotion was refused is recorded as kept, with both reasons.
    await recordRetrainingDecision({ ...record, workflowId: 'retrain-2', promotion: { promoted: false, previous: 'x', current: 'x', reason: 'CURRENT changed' } }, db);
    expect((await recentRetrainingDecisions(10, db)).find((r) => r.id === 'retrain-2')).toMatchObject({
      decision: 'keep', reason: expect.stringMatching(/^promote: .*; not promoted: CURRENT changed$/),
    });
  });
});
