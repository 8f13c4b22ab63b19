// First: lets onnxruntime-node's output arrays pass its own type check under Jest (see the file).
import '../setup/onnxRealm';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { computeFeatures } from '../../activities/features';
import { inferSignals, loadedModelInfo, loadModel, resolveModelDir, unloadModel } from '../../activities/inference';
import type { Candle, FeatureVector } from '../../domain/types';

const OHLCV_DIR = path.resolve(__dirname, '../../../shared/data/ohlcv');
const fixture = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/model-parity.json'), 'utf8')) as {
  modelVersion: string;
  featureNames: string[];
  rows: Array<{ symbol: string; asOf: number; values: number[]; probabilities: Record<string, number> }>;
};

function lastCandles(base: string, count: number): Candle[] {
  const lines = readFileSync(path.join(OHLCV_DIR, `binance_${base}-USDT_1h.csv`), 'utf8').trim().split('\n');
  return lines.slice(-count).map((l) => l.split(',').map(Number) as Candle);
}

function fixtureVector(i = 0): FeatureVector {
  const row = fixture.rows[i];
  return { symbol: row.symbol, asOf: row.asOf, close: 1, names: [...fixture.featureNames], values: [...row.values] };
}

afterAll(() => unloadModel());

describe('inferSignals with the committed model', () => {
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

  it('matches python onnxruntime on the fixture rows within 1e-5', async () => {
    const signals = await inferSignals({ features: fixture.rows.map((_, i) => fixtureVector(i)) });
    expect(signals).toHaveLength(fixture.rows.length);
    signals.forEach((s, i) => {
      expect(s.symbol).toBe(fixture.rows[i].symbol);
      expect(s.modelVersion).toBe(fixture.modelVersion);
      for (const d of ['down', 'flat', 'up'] as const) {
        expect(Math.abs(s.probabilities[d] - fixture.rows[i].probabilities[d])).toBeLessThan(1e-5);
      }
    });
  });

  it('scores several symbols in one call, each with probabilities summing to 1 and its argmax as direction', async () => {
    const snapshots = ['BTC', 'ETH', 'SOL', 'DOGE'].map((base) => ({
      symbol: `${base}/USDT`,
      timeframe: '1h',
      candles: lastCandles(base, 120),
      source: 'replay:test',
    }));
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

describe('model directory resolution', () => {
  afterEach(async () => {
    delete process.env.MODEL_DIR;
    await unloadModel();
  });

  it('fails clearly when MODEL_DIR holds no model', async () => {
    process.env.MODEL_DIR = mkdtempSync(path.join(tmpdir(), 'no-model-'));
    await unloadModel();
    await expect(inferSignals({ features: [fixtureVector()] })).rejects.toMatchObject({ type: 'ModelNotFound', nonRetryable: true });
  });

  it('accepts a version directory and refuses a model file whose sha256 is not the manifest one', async () => {
    const versionDir = resolveModelDir({});
    const dir = mkdtempSync(path.join(tmpdir(), 'model-'));
    copyFileSync(path.join(versionDir, 'model.onnx'), path.join(dir, 'model.onnx'));
    const manifest = JSON.parse(readFileSync(path.join(versionDir, 'manifest.json'), 'utf8'));
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    process.env.MODEL_DIR = dir;
    expect((await loadModel()).dir).toBe(dir);

    await unloadModel();
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, onnx: { ...manifest.onnx, sha256: '0'.repeat(64) } }));
    await expect(loadModel()).rejects.toMatchObject({ type: 'ModelIntegrity', message: expect.stringContaining('sha256') });
  });
});
