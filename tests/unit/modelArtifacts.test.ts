/**
 * The committed model artefacts agree with each other and with the code that serves them: the version CURRENT
 * names was trained on today's feature and label code, its report is models/REPORT.md, the parity fixture is
 * its, and every file matches the sha256 its manifest gives. Fails when the feature code changes without
 * `npm run train`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FEATURE_NAMES, FEATURE_TIMEFRAME, MIN_CANDLES, REFERENCE_SYMBOL } from '../../domain/features/definition';
import { CLASSES, DEFAULT_HORIZON, DEFAULT_THRESHOLD } from '../../domain/features/labels';
import { DEFAULT_REGISTRY_ROOT, readCurrent } from '../../activities/modelRegistry';
import { featureCodeSha256 } from '../../scripts/build-features';

const ROOT = path.resolve(__dirname, '../..');
const version = readCurrent(DEFAULT_REGISTRY_ROOT)!;
const dir = path.join(DEFAULT_REGISTRY_ROOT, version);
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const manifest = json(path.join(dir, 'manifest.json'));

describe(`the served model ${version}`, () => {
  it('was trained on the feature and label code the worker runs today', () => {
    expect(manifest.featureNames).toEqual([...FEATURE_NAMES]);
    expect(manifest.classes).toEqual([...CLASSES]);
    expect({ timeframe: manifest.timeframe, minCandles: manifest.minCandles, reference: manifest.referenceSymbol })
      .toEqual({ timeframe: FEATURE_TIMEFRAME, minCandles: MIN_CANDLES, reference: REFERENCE_SYMBOL });
    expect(manifest.label).toMatchObject({ horizonCandles: DEFAULT_HORIZON, threshold: DEFAULT_THRESHOLD });
    // A different hash means activities/features changed since training: run `npm run train` and commit the result.
    expect(manifest.features.codeSha256).toBe(featureCodeSha256());
  });

  it('has its files, members included, with the sha256 their manifests give', () => {
    expect(sha256(path.join(dir, manifest.onnx.file))).toBe(manifest.onnx.sha256);
    expect(version.endsWith(manifest.onnx.sha256.slice(0, 8))).toBe(true);
    const weights = manifest.members.map((m: { weight: number }) => m.weight);
    expect(weights.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 12);
    for (const member of manifest.members) {
      const m = json(path.join(dir, member.manifest));
      const memberDir = path.dirname(path.join(dir, member.manifest));
      expect(m).toMatchObject({ kind: 'member', partOf: version, featureNames: manifest.featureNames });
      expect(sha256(path.join(memberDir, m.onnx.file))).toBe(m.onnx.sha256);
      expect(sha256(path.join(memberDir, m.model.native.file))).toBe(m.model.native.sha256);
    }
  });

  it('is the version of models/REPORT.md and of the parity fixture', () => {
    expect(readFileSync(path.join(ROOT, 'models', 'REPORT.md'), 'utf8')).toBe(readFileSync(path.join(dir, 'REPORT.md'), 'utf8'));
    expect(readFileSync(path.join(ROOT, 'models', 'REPORT.md'), 'utf8')).toContain(`version \`${version}\``);
    expect(json(path.join(ROOT, 'tests', 'fixtures', 'model-parity.json')).modelVersion).toBe(version);
  });

  it('was measured on an out-of-time window after everything it was fitted or chosen on', () => {
    const { development, training, calibration, test, purgeCandles, embargoCandles } = manifest.windows;
    const gapMs = (purgeCandles + embargoCandles) * 3_600_000;
    expect(Date.parse(training.to)).toBeLessThan(Date.parse(calibration.from));
    expect(Date.parse(calibration.to)).toBeLessThanOrEqual(Date.parse(development.to));
    expect(Date.parse(test.from) - Date.parse(development.to)).toBeGreaterThanOrEqual(gapMs);
    expect(manifest.metrics.test.ensemble.rows).toBe(test.rows);
  });
});
