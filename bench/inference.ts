/**
 * `npm run bench:inference`: batch inference throughput of the served model (the CURRENT ensemble, one ONNX
 * graph) in onnxruntime-node, against Python's native predict of the same model (bench/inference_native.py:
 * XGBoost, LightGBM and scikit-learn's own predict_proba with the same weights and calibration) on the same
 * rows, one thread on both sides. Prints rows/s for both and the ratio, measured in this run.
 *
 *   npm run bench:inference [-- --rows 20000 --seconds 5]
 *
 * Rows are real feature rows: the TypeScript feature code over the committed candles of the seven symbols.
 * Two batch sizes: one large batch (throughput) and 7 rows (what one cycle scores).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { computeFeatureMatrix, FEATURE_NAMES, firstNonFinite } from '../domain/features/definition';
import { readManifest, resolveModelDir } from '../activities/modelRegistry';
import { parseCandleCsv } from '../domain/candles';
import type { Candle } from '../domain/types';

const ROOT = path.resolve(__dirname, '..');
const OHLCV_DIR = process.env.OHLCV_DIR ?? path.resolve(ROOT, '..', 'shared', 'data', 'ohlcv');
const SYMBOLS = ['BTC', 'ETH', 'SOL', 'BNB', 'XRP', 'ADA', 'DOGE'];

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(value > 0)) throw new Error(`--${name} must be a positive number`);
  return value;
}

function featureRows(count: number): Float32Array {
  const read = (base: string): Candle[] => parseCandleCsv(fs.readFileSync(path.join(OHLCV_DIR, `binance_${base}-USDT_1h.csv`), 'utf8'), base);
  const btc = read('BTC');
  const width = FEATURE_NAMES.length;
  const out = new Float32Array(count * width);
  let n = 0;
  // Newest rows first, symbol by symbol, until `count`.
  for (const base of SYMBOLS) {
    const candles = base === 'BTC' ? btc : read(base);
    const { rows } = computeFeatureMatrix(candles, base === 'BTC' ? 'self' : btc);
    for (let i = rows.length - 1; i >= 0 && n < count; i--) {
      if (firstNonFinite(rows[i]) >= 0) continue;
      out.set(rows[i], n * width);
      n++;
    }
    if (n === count) break;
  }
  if (n < count) throw new Error(`only ${n} complete feature rows available, asked for ${count}`);
  return out;
}

async function nodeRowsPerSecond(session: InferenceSession, inputName: string, outputName: string, X: Float32Array, width: number, batch: number, seconds: number) {
  const n = X.length / width;
  const run = (start: number, size: number) =>
    session.run({ [inputName]: new Tensor('float32', X.subarray(start * width, (start + size) * width), [size, width]) }, [outputName]);
  await run(0, Math.min(batch, n));
  const rates: number[] = [];
  for (let round = 0; round < 5; round++) {
    let done = 0;
    const start = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
    while (elapsed() < seconds / 5) {
      for (let i = 0; i < n; i += batch) await run(i, Math.min(batch, n - i));
      done += n;
    }
    rates.push(done / elapsed());
  }
  return rates.sort((a, b) => a - b)[2];
}

async function main(): Promise<void> {
  const count = option('rows', 20_000);
  const seconds = option('seconds', 5);
  const dir = resolveModelDir();
  const manifest = readManifest(dir);
  const width = manifest.featureNames.length;
  if (manifest.featureNames.join(',') !== FEATURE_NAMES.join(',')) throw new Error(`${dir} reads other features than the feature code computes`);
  const X = featureRows(count);
  const rowsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')), 'rows.f32');
  fs.writeFileSync(rowsFile, Buffer.from(X.buffer, X.byteOffset, X.byteLength));

  const session = await InferenceSession.create(path.join(dir, manifest.onnx.file), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const input = manifest.onnx.input.name;
  const output = manifest.onnx.outputs.probabilities;
  const first = (await session.run({ [input]: new Tensor('float32', X.subarray(0, 50 * width), [50, width]) }, [output]))[output].data as Float32Array;
  const python = execFileSync('bash', [path.join(ROOT, 'models', 'venv.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;

  console.log(`model ${manifest.version} (${path.relative(ROOT, dir)}), ${count} feature rows x ${width}, one thread each side`);
  for (const batch of [count, 7]) {
    const nodeRate = await nodeRowsPerSecond(session, input, output, X, width, batch, seconds);
    const native = JSON.parse(execFileSync(python, [
      path.join(ROOT, 'bench', 'inference_native.py'), '--version-dir', dir, '--rows', rowsFile,
      '--features', String(width), '--batch', String(batch), '--seconds', String(seconds),
    ], { encoding: 'utf8', maxBuffer: 16 << 20 })) as { ensembleRowsPerSecond: number; firstProbabilities: number[][] };
    const drift = Math.max(...native.firstProbabilities.flatMap((row, r) => row.map((p, k) => Math.abs(p - first[r * 3 + k]))));
    if (drift > 1e-5) throw new Error(`onnxruntime-node and the native libraries disagree by ${drift}: not the same model`);
    console.log(
      `batch ${String(batch).padStart(6)}: onnxruntime-node ${Math.round(nodeRate).toLocaleString('en-US')} rows/s, ` +
        `python native ${Math.round(native.ensembleRowsPerSecond).toLocaleString('en-US')} rows/s, ` +
        `ratio node/python ${(nodeRate / native.ensembleRowsPerSecond).toFixed(2)} (max |dp| ${drift.toExponential(1)})`,
    );
  }
  await session.release();
  fs.rmSync(path.dirname(rowsFile), { recursive: true, force: true });
}

main().catch((err) => {
  console.error(`bench:inference: ${(err as Error).message}`);
  process.exit(1);
});
