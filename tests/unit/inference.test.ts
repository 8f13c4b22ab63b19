// First: lets onnxruntime-node's output arrays pass its own type check under Jest (see the file).
import '../setup/onnxRealm';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { computeFeatures, MIN_CANDLES, REFERENCE_SYMBOL } from '../../activities/features';
import { inferSignals, loadedModelInfo, loadModel, resolveModelDir, unloadModel } from '../../activities/inference';
import { registry } from '../../activities/metrics';
import { DEFAULT_REGISTRY_ROOT, readManifest, writeCurrent } from '../../activities/modelRegistry';
import type { Candle, FeatureVector, MarketSnapshot } from '../../domain/types';

const OHLCV_DIR = path.resolve(__dirname, '../../../shared/data/ohlcv');
type Probabilities = Record<'down' | 'flat' | 'up', number>;
const fixture = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/model-parity.json'), 'utf8')) as {
  modelVersion: string;
  featureNames: string[];
  rows: Array<{ symbol: string; asOf: number; values: number[]; onnx: Probabilities; native: Probabilities }>;
};
const DIRECTIONS = ['down', 'flat', 'up'] as const;

const series = new Map<string, Candle[]>();
function candlesOf(symbol: string): Candle[] {
  if (!series.has(symbol)) {
    const base = symbol.split('/')[0];
    const lines = readFileSync(path.join(OHLCV_DIR, `binance_${base}-USDT_1h.csv`), 'utf8').trim().split('\n').slice(1);
    series.set(symbol, lines.map((l) => l.split(',').map(Number) as Candle));
  }
  return series.get(symbol)!;
}

/** What a cycle would fetch: the `count` candles ending at `asOf` (the newest closed candle). */
function snapshotEndingAt(symbol: string, asOf: number, count = 400): MarketSnapshot {
  const all = candlesOf(symbol);
  const end = all.findIndex((c) => c[0] === asOf);
  if (end < 0) throw new Error(`${symbol} has no candle at ${asOf}`);
  return { symbol, timeframe: '1h', candles: all.slice(end - count + 1, end + 1), source: 'replay:test' };
}

function fixtureVector(i = 0): FeatureVector {
  const row = fixture.rows[i];
  return { symbol: row.symbol, asOf: row.asOf, close: 1, names: [...fixture.featureNames], values: [...row.values] };
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value ? Number(value.value) : 0;
}

afterAll(() => unloadModel());

describe('the committed model against the parity fixture', () => {
  beforeAll(async () => {
    delete process.env.MODEL_DIR;
    await unloadModel();
  });

  it('loads the version CURRENT names, the one the parity fixture was made with', async () => {
    expect(loadedModelInfo()).toBeNull();
    const info = await loadModel();
    expect(info.version).toBe(fixture.modelVersion);
    expect(info.featureNames).toEqual(fixture.featureNames);
    expect(loadedModelInfo()).toEqual(info);
  });

  it('the features TypeScript computes from the candles are the fixture rows Python was trained and scored on', async () => {
    expect(fixture.rows.length).toBeGreaterThanOrEqual(14);
    for (const row of fixture.rows) {
      const snapshots = [snapshotEndingAt(row.symbol, row.asOf)];
      const reference = row.symbol === REFERENCE_SYMBOL ? undefined : snapshotEndingAt(REFERENCE_SYMBOL, row.asOf);
      const [fv] = await computeFeatures({ snapshots, reference });
      expect(fv.names).toEqual(fixture.featureNames);
      // The matrix holds float32, as onnxruntime receives them: compare after the same rounding.
      expect({ symbol: row.symbol, asOf: row.asOf, values: Array.from(new Float32Array(fv.values)) })
        .toEqual({ symbol: row.symbol, asOf: row.asOf, values: row.values });
    }
  });

  it('predicts what Python predicts, with onnxruntime and with the native libraries, within 1e-5', async () => {
    const signals = await inferSignals({ features: fixture.rows.map((_, i) => fixtureVector(i)) });
    expect(signals).toHaveLength(fixture.rows.length);
    let worst = 0;
    signals.forEach((s, i) => {
      expect(s.symbol).toBe(fixture.rows[i].symbol);
      expect(s.modelVersion).toBe(fixture.modelVersion);
      for (const d of DIRECTIONS) {
        worst = Math.max(worst, Math.abs(s.probabilities[d] - fixture.rows[i].onnx[d]), Math.abs(s.probabilities[d] - fixture.rows[i].native[d]));
      }
    });
    expect(worst).toBeLessThan(1e-5);
  });

  it('scores several symbols in one call: calibrated probabilities summing to 1, the argmax as direction', async () => {
    const asOf = candlesOf('BTC/USDT').at(-1)![0];
    const snapshots = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'DOGE/USDT'].map((s) => snapshotEndingAt(s, asOf));
    const features = await computeFeatures({ snapshots });
    const signals = await inferSignals({ features });
    expect(signals.map((s) => s.symbol)).toEqual(['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'DOGE/USDT']);
    for (const [i, s] of signals.entries()) {
      const p = s.probabilities;
      expect(p.down + p.flat + p.up).toBeCloseTo(1, 5);
      expect(s.confidence).toBe(Math.max(p.down, p.flat, p.up));
      expect(p[s.direction]).toBe(s.confidence);
      expect(s.asOf).toBe(features[i].asOf);
    }
    // Batching must not mix rows up: each symbol alone gives the same answer.
    const alone = await inferSignals({ features: [features[2]] });
    expect(alone[0].probabilities.up).toBeCloseTo(signals[2].probabilities.up, 6);
  });

  it('returns nothing for no features', async () => {
    await expect(inferSignals({ features: [] })).resolves.toEqual([]);
  });

  it('refuses features in another order, naming the first differing position', async () => {
    const fv = fixtureVector();
    [fv.names[3], fv.names[4]] = [fv.names[4], fv.names[3]];
    await expect(inferSignals({ features: [fixtureVector(1), fv] })).rejects.toMatchObject({
      type: 'FeatureMismatch',
      nonRetryable: true,
      message: expect.stringContaining(`position 3: got "${fixture.featureNames[4]}", model expects "${fixture.featureNames[3]}"`),
    });
  });

  it('refuses a vector with a feature missing at the end, naming the position', async () => {
    const fv = fixtureVector();
    fv.names.pop();
    fv.values.pop();
    const last = fixture.featureNames.length - 1;
    await expect(inferSignals({ features: [fv] })).rejects.toMatchObject({
      type: 'FeatureMismatch',
      message: expect.stringContaining(`position ${last}: got (nothing)`),
    });
  });

  it('refuses non-finite values, naming the feature', async () => {
    const fv = fixtureVector();
    fv.values[5] = NaN;
    await expect(inferSignals({ features: [fv] })).rejects.toMatchObject({
      type: 'InvalidFeatures',
      nonRetryable: true,
      message: expect.stringContaining(`feature ${fixture.featureNames[5]} (position 5) is NaN`),
    });
  });
});

describe('model registry and hot reload', () => {
  let root: string;

  /** A registry holding the committed version as `a` and `b` (same model, different names). */
  function registryWithTwoVersions(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'registry-'));
    const committed = resolveModelDir({});
    for (const name of ['a', 'b']) {
      cpSync(committed, path.join(dir, name), { recursive: true });
      const manifestFile = path.join(dir, name, 'manifest.json');
      writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(readFileSync(manifestFile, 'utf8')), version: name }));
    }
    writeCurrent(dir, 'a');
    return dir;
  }

  beforeEach(async () => {
    await unloadModel();
    root = registryWithTwoVersions();
    process.env.MODEL_DIR = root;
    process.env.MODEL_RELOAD_CHECK_MS = '0';
  });
  afterEach(async () => {
    delete process.env.MODEL_DIR;
    delete process.env.MODEL_RELOAD_CHECK_MS;
    await unloadModel();
    rmSync(root, { recursive: true, force: true });
  });

  it('a promoted version is served by the next call, without unloading or restarting', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const [first] = await inferSignals({ features: [fixtureVector()] });
    expect(first.modelVersion).toBe('a');
    writeCurrent(root, 'b');
    const [second] = await inferSignals({ features: [fixtureVector()] });
    expect(log).toHaveBeenCalledWith('inference: now serving model b (was a)');
    log.mockRestore();
    expect(second.modelVersion).toBe('b');
    expect(second.probabilities).toEqual(first.probabilities);
    expect(loadedModelInfo()?.version).toBe('b');
    expect(await metricValue('trader_model_served', { version: 'b' })).toBe(1);
  });

  it('checks CURRENT at most every MODEL_RELOAD_CHECK_MS', async () => {
    process.env.MODEL_RELOAD_CHECK_MS = '3600000';
    expect((await inferSignals({ features: [fixtureVector()] }))[0].modelVersion).toBe('a');
    writeCurrent(root, 'b');
    expect((await inferSignals({ features: [fixtureVector()] }))[0].modelVersion).toBe('a');
  });

  it('a promoted version that fails its integrity check is refused; the served one carries on', async () => {
    await inferSignals({ features: [fixtureVector()] });
    writeFileSync(path.join(root, 'b', 'model.onnx'), 'not a model');
    writeCurrent(root, 'b');
    const failedBefore = await metricValue('trader_model_reloads_total', { outcome: 'failed' });
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const [signal] = await inferSignals({ features: [fixtureVector()] });
    expect(signal.modelVersion).toBe('a');
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/^inference: keeping model a; the promoted model cannot be served: .*sha256/));
    error.mockRestore();
    expect(await metricValue('trader_model_reloads_total', { outcome: 'failed' })).toBe(failedBefore + 1);
  });

  it('refuses a CURRENT naming a version that does not exist', () => {
    expect(() => writeCurrent(root, 'nope')).toThrow(/manifest\.json/);
    writeFileSync(path.join(root, 'CURRENT'), 'nope\n');
    expect(() => resolveModelDir()).toThrow(/names version "nope", but .* does not exist/);
  });

  it('a model trained on other features is refused with the position that differs', async () => {
    // The previous generation (21 features) stays in the committed registry.
    process.env.MODEL_DIR = path.join(DEFAULT_REGISTRY_ROOT, '20261121-bf5fb3aa');
    const asOf = candlesOf('BTC/USDT').at(-1)![0];
    const features = await computeFeatures({ snapshots: [snapshotEndingAt('BTC/USDT', asOf, MIN_CANDLES)] });
    await expect(inferSignals({ features })).rejects.toMatchObject({
      type: 'FeatureMismatch',
      message: expect.stringMatching(/BTC\/USDT: feature names differ from the model's at position 1: got "ret_3", model expects "roc_5" \(vector has \d+ names, model 21\)/),
    });
  });

  it('fails clearly when MODEL_DIR holds no model, and refuses a model file whose sha256 is not the manifest one', async () => {
    process.env.MODEL_DIR = mkdtempSync(path.join(tmpdir(), 'no-model-'));
    await expect(inferSignals({ features: [fixtureVector()] })).rejects.toMatchObject({ type: 'ModelNotFound', nonRetryable: true });

    const pinned = path.join(root, 'a');
    const manifest = readManifest(pinned);
    writeFileSync(path.join(pinned, 'manifest.json'), JSON.stringify({ ...manifest, onnx: { ...manifest.onnx, sha256: '0'.repeat(64) } }));
    process.env.MODEL_DIR = pinned;
    await expect(loadModel()).rejects.toMatchObject({ type: 'ModelIntegrity', message: expect.stringContaining('sha256') });
  });
});
