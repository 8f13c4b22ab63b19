/**
 * Writes the training matrix for the signal models with THE feature definition the worker serves
 * (domain/features/definition.ts), so training and serving cannot drift apart:
 *
 *   npm run features -- --out models/data/features [--symbols BTC,ETH,...] [--from 2023-01-01] [--to 2023-12-31]
 *                       [--horizon 4] [--threshold 0.004] [--data-dir DIR]
 *
 * Output, next to each other (`--out` is a path prefix):
 *   <out>.f32       float32, row-major [rows x features]: exactly the Float32Array inference.ts hands to
 *                   onnxruntime, so Python trains on the very bits the worker will serve.
 *   <out>.rows.csv  one line per row: symbol,timestamp,close,forward_return,label (close for buy-and-hold figures)
 *   <out>.meta.json feature names in order, label definition, sources with sha256, counts.
 *
 * Rows: the Binance 1h candles of the symbols, read in place from ../shared/data/ohlcv (never copied into
 * the repo). Features are computed over each symbol's whole history (BTC/USDT as the cross-asset reference),
 * then a row is kept when every feature is finite, its forward return is defined (not past the end, not
 * across a data gap) and its time is inside --from/--to. --symbols/--from/--to make small matrices for quick
 * runs (the retraining workflow's test); `npm run train` uses everything.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCandleCsv, validateCandles } from '../domain/candles';
import type { Candle } from '../domain/types';
import {
  computeFeatureMatrix, FEATURE_CANDLE_MS, FEATURE_NAMES, FEATURE_TIMEFRAME, firstNonFinite, MIN_CANDLES, REFERENCE_SYMBOL,
} from '../domain/features/definition';
import {
  CLASSES, DEFAULT_COST_MARGIN, DEFAULT_FEE_RATE, DEFAULT_HORIZON, DEFAULT_THRESHOLD, forwardReturns, labelDefinition,
  labelForReturn,
} from '../domain/features/labels';

export const DEFAULT_SYMBOLS = ['BTC', 'ETH', 'SOL', 'BNB', 'XRP', 'ADA', 'DOGE'];
const QUOTE = 'USDT';
const EXCHANGE = 'binance';
const REPO_ROOT = path.resolve(__dirname, '..');
const DEFAULT_DATA_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'ohlcv');
/**
 * The feature and label definition: pure code, in the domain so the backtester runs it without the activity. Its
 * files keep, byte for byte, the import lines they had when the served model was trained in activities/features/
 * (those paths resolve the same from domain/features/), so the definition's hash below did not change with the move.
 * Every .ts file of this folder is hashed: a new one means a new definition.
 */
const FEATURE_SOURCE_DIR = path.join(REPO_ROOT, 'domain', 'features');
/** Indicator code the features share with the strategies (it lives in domain/ so workflows may run it). */
const SHARED_FEATURE_SOURCES = ['domain/indicators/series.ts', 'domain/indicators/rsiAndTrueRange.ts', 'domain/indicators/ohlcv.ts'];

export interface MatrixOptions {
  out: string;
  symbols: string[];
  from: number | null;
  to: number | null;
  horizon: number;
  threshold: number;
  dataDir: string;
}

function parseDate(flag: string, value: string): number {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(t)) throw new Error(`${flag} must be a date such as 2023-06-01 or an ISO time, got '${value}'`);
  return t;
}

export function parseArgs(argv: string[]): MatrixOptions {
  const opts: MatrixOptions = {
    out: path.join(REPO_ROOT, 'models', 'data', 'features'),
    symbols: DEFAULT_SYMBOLS,
    from: null,
    to: null,
    horizon: DEFAULT_HORIZON,
    threshold: DEFAULT_THRESHOLD,
    dataDir: process.env.OHLCV_DIR ?? DEFAULT_DATA_DIR,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--out') opts.out = path.resolve(value.replace(/\.(f32|csv|meta\.json)$/, ''));
    else if (flag === '--data-dir') opts.dataDir = path.resolve(value);
    else if (flag === '--symbols') opts.symbols = value.split(',').map((s) => s.trim().toUpperCase().replace(/\/USDT$/, '')).filter(Boolean);
    else if (flag === '--from') opts.from = parseDate(flag, value);
    else if (flag === '--to') opts.to = parseDate(flag, value);
    else if (flag === '--horizon') opts.horizon = Number(value);
    else if (flag === '--threshold') opts.threshold = Number(value);
    else throw new Error(`unknown option ${flag}; expected --out, --symbols, --from, --to, --horizon, --threshold or --data-dir`);
  }
  if (!Number.isInteger(opts.horizon) || opts.horizon < 1) throw new Error(`--horizon must be a positive integer, got ${opts.horizon}`);
  if (!(opts.threshold >= 0 && opts.threshold < 1)) throw new Error(`--threshold must be a fraction in [0, 1), got ${opts.threshold}`);
  if (opts.symbols.length === 0) throw new Error('--symbols must name at least one symbol, e.g. BTC,ETH');
  if (opts.from !== null && opts.to !== null && opts.from >= opts.to) throw new Error('--from must be before --to');
  return opts;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function candleFile(dataDir: string, base: string): string {
  return path.join(dataDir, `${EXCHANGE}_${base}-${QUOTE}_${FEATURE_TIMEFRAME}.csv`);
}

function readCandles(file: string, symbol: string): { candles: Candle[]; sha256: string } {
  if (!fs.existsSync(file)) throw new Error(`missing candle file ${file} (set --data-dir or OHLCV_DIR)`);
  const text = fs.readFileSync(file, 'utf8');
  const candles = parseCandleCsv(text, file);
  validateCandles(symbol, candles);
  return { candles, sha256: sha256(text) };
}

/**
 * sha256 over the code that defines feature and label values (domain/features), so a manifest says which definition
 * its model was trained on and a test can tell when the code changed without a retrain.
 */
export function featureCodeSha256(): string {
  const hash = createHash('sha256');
  for (const name of fs.readdirSync(FEATURE_SOURCE_DIR).filter((f) => f.endsWith('.ts') && f !== 'index.ts').sort()) {
    hash.update(name).update('\0').update(fs.readFileSync(path.join(FEATURE_SOURCE_DIR, name))).update('\0');
  }
  for (const file of SHARED_FEATURE_SOURCES) {
    hash.update(file).update('\0').update(fs.readFileSync(path.join(REPO_ROOT, file))).update('\0');
  }
  return hash.digest('hex');
}

/** Writes <out>.f32, <out>.rows.csv and <out>.meta.json; returns the row count. */
export function writeTrainingMatrix(opts: MatrixOptions, log: (line: string) => void = console.log): number {
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  const matrixFile = `${opts.out}.f32`;
  const rowsFile = `${opts.out}.rows.csv`;
  const metaFile = `${opts.out}.meta.json`;
  const matrixFd = fs.openSync(matrixFile, 'w');
  const rowsFd = fs.openSync(rowsFile, 'w');
  fs.writeSync(rowsFd, 'symbol,timestamp,close,forward_return,label\n');

  const referenceBase = REFERENCE_SYMBOL.split('/')[0];
  const reference = readCandles(candleFile(opts.dataDir, referenceBase), REFERENCE_SYMBOL);
  const sources = [];
  const labelCounts: Record<string, number> = Object.fromEntries(CLASSES.map((c) => [c, 0]));
  let written = 0;
  for (const base of opts.symbols) {
    const symbol = `${base}/${QUOTE}`;
    const file = candleFile(opts.dataDir, base);
    const { candles, sha256: fileSha } = symbol === REFERENCE_SYMBOL ? reference : readCandles(file, symbol);
    const { rows } = computeFeatureMatrix(candles, symbol === REFERENCE_SYMBOL ? 'self' : reference.candles);
    const fwd = forwardReturns(candles.map((c) => c[0]), candles.map((c) => c[4]), opts.horizon, FEATURE_CANDLE_MS);

    const kept: number[] = [];
    for (let i = 0; i < candles.length; i++) {
      const t = candles[i][0];
      if ((opts.from !== null && t < opts.from) || (opts.to !== null && t >= opts.to)) continue;
      if (firstNonFinite(rows[i]) >= 0 || !Number.isFinite(fwd[i])) continue;
      kept.push(i);
    }
    // Float32Array rounds each float64 exactly as inference.ts's Float32Array does at serving time.
    const block = new Float32Array(kept.length * FEATURE_NAMES.length);
    const lines: string[] = [];
    kept.forEach((i, r) => {
      block.set(rows[i], r * FEATURE_NAMES.length);
      const label = labelForReturn(fwd[i], opts.threshold);
      labelCounts[label]++;
      lines.push(`${symbol},${candles[i][0]},${candles[i][4]},${fwd[i]},${label}`);
    });
    fs.writeSync(matrixFd, Buffer.from(block.buffer, block.byteOffset, block.byteLength));
    if (lines.length > 0) fs.writeSync(rowsFd, lines.join('\n') + '\n');
    written += kept.length;
    sources.push({
      file: path.relative(REPO_ROOT, file),
      sha256: fileSha,
      symbol,
      candles: candles.length,
      rows: kept.length,
      first: new Date(candles[0][0]).toISOString(),
      last: new Date(candles[candles.length - 1][0]).toISOString(),
    });
    log(`${symbol}: ${candles.length} candles -> ${kept.length} rows`);
  }
  fs.closeSync(matrixFd);
  fs.closeSync(rowsFd);
  if (written === 0) throw new Error('no rows: the symbols and --from/--to leave nothing to train on');

  const meta = {
    generatedBy: 'scripts/build-features.ts',
    featureDefinition: 'domain/features/definition.ts',
    featureCodeSha256: featureCodeSha256(),
    timeframe: FEATURE_TIMEFRAME,
    minCandles: MIN_CANDLES,
    referenceSymbol: REFERENCE_SYMBOL,
    featureNames: [...FEATURE_NAMES],
    classes: CLASSES,
    label: {
      horizonCandles: opts.horizon,
      threshold: opts.threshold,
      definition: labelDefinition(opts.horizon, opts.threshold, FEATURE_TIMEFRAME),
      thresholdRationale:
        opts.threshold === DEFAULT_THRESHOLD
          ? `2 x ${DEFAULT_FEE_RATE} taker fee (entry + exit) + ${DEFAULT_COST_MARGIN} for slippage and spread`
          : 'set by --threshold',
    },
    slice: {
      symbols: opts.symbols.map((b) => `${b}/${QUOTE}`),
      from: opts.from === null ? null : new Date(opts.from).toISOString(),
      to: opts.to === null ? null : new Date(opts.to).toISOString(),
    },
    matrix: { file: path.basename(matrixFile), dtype: 'float32', order: 'row-major', rows: written, columns: FEATURE_NAMES.length },
    rowsFile: path.basename(rowsFile),
    rows: written,
    labelCounts,
    sources,
  };
  fs.writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
  log(`wrote ${written} rows x ${FEATURE_NAMES.length} features to ${matrixFile} (labels ${JSON.stringify(labelCounts)})`);
  return written;
}

if (require.main === module) {
  try {
    writeTrainingMatrix(parseArgs(process.argv.slice(2)));
  } catch (err) {
    console.error(`build-features: ${(err as Error).message}`);
    process.exit(1);
  }
}
