/**
 * Writes the training matrix for the signal model:
 *   npm run features -- --out models/data/features.csv [--horizon 4] [--threshold 0.004] [--data-dir DIR]
 *
 * Columns: symbol,timestamp,<FEATURE_NAMES...>,forward_return,label. Rows are the Binance 1h candles of the
 * symbols below, read in place from shared/data/ohlcv (never copied into the repo). A row is written only when
 * every feature is finite (after warm-up) and its forward return is defined (not past the end, not across a
 * gap). Beside the CSV, <out>.meta.json records the sources (with sha256), label definition and counts, which
 * models/train.py copies into the model manifest.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Candle } from '../domain/types';
import { computeFeatureMatrix, FEATURE_NAMES, firstNonFinite } from '../activities/features/indicators';
import {
  CLASSES,
  DEFAULT_COST_MARGIN,
  DEFAULT_FEE_RATE,
  DEFAULT_HORIZON,
  DEFAULT_THRESHOLD,
  forwardReturns,
  labelForReturn,
} from '../activities/features/labels';

const SYMBOLS = ['BTC', 'ETH', 'SOL', 'BNB', 'XRP', 'ADA', 'DOGE'];
const QUOTE = 'USDT';
const EXCHANGE = 'binance';
const TIMEFRAME = '1h';
const CANDLE_MS = 3_600_000;
const REPO_ROOT = path.resolve(__dirname, '..');
const DEFAULT_DATA_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'ohlcv');

interface Options {
  out: string;
  horizon: number;
  threshold: number;
  dataDir: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = {
    out: path.join(REPO_ROOT, 'models', 'data', 'features.csv'),
    horizon: DEFAULT_HORIZON,
    threshold: DEFAULT_THRESHOLD,
    dataDir: process.env.OHLCV_DIR ?? DEFAULT_DATA_DIR,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === '--out') opts.out = path.resolve(value);
    else if (flag === '--data-dir') opts.dataDir = path.resolve(value);
    else if (flag === '--horizon') opts.horizon = Number(value);
    else if (flag === '--threshold') opts.threshold = Number(value);
    else throw new Error(`unknown option ${flag}; expected --out, --horizon, --threshold or --data-dir`);
  }
  if (!Number.isInteger(opts.horizon) || opts.horizon < 1) throw new Error(`--horizon must be a positive integer, got ${opts.horizon}`);
  if (!(opts.threshold >= 0 && opts.threshold < 1)) throw new Error(`--threshold must be a fraction in [0, 1), got ${opts.threshold}`);
  return opts;
}

/** Minimal reader for the shared OHLCV format; kept here so the script depends on nothing but the data. */
function readCandleCsv(file: string): Candle[] {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0];
  if (header !== 'timestamp,open,high,low,close,volume') {
    throw new Error(`${file}: header is "${header}", expected "timestamp,open,high,low,close,volume"`);
  }
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',').map(Number);
    if (cells.length !== 6 || cells.some((x) => !Number.isFinite(x))) {
      throw new Error(`${file}: line ${i + 2} is not six numbers: "${line}"`);
    }
    return cells as Candle;
  });
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  const fd = fs.openSync(opts.out, 'w');
  fs.writeSync(fd, ['symbol', 'timestamp', ...FEATURE_NAMES, 'forward_return', 'label'].join(',') + '\n');

  const sources = [];
  const labelCounts: Record<string, number> = Object.fromEntries(CLASSES.map((c) => [c, 0]));
  let written = 0;
  for (const base of SYMBOLS) {
    const fileName = `${EXCHANGE}_${base}-${QUOTE}_${TIMEFRAME}.csv`;
    const file = path.join(opts.dataDir, fileName);
    if (!fs.existsSync(file)) throw new Error(`missing candle file ${file} (set --data-dir or OHLCV_DIR)`);
    const candles = readCandleCsv(file);
    const symbol = `${base}/${QUOTE}`;
    const { rows } = computeFeatureMatrix(candles);
    const fwd = forwardReturns(candles.map((c) => c[0]), candles.map((c) => c[4]), opts.horizon, CANDLE_MS);

    let kept = 0;
    let chunk: string[] = [];
    for (let i = 0; i < candles.length; i++) {
      if (firstNonFinite(rows[i]) >= 0 || !Number.isFinite(fwd[i])) continue;
      const label = labelForReturn(fwd[i], opts.threshold);
      labelCounts[label]++;
      chunk.push([symbol, candles[i][0], ...rows[i], fwd[i], label].join(','));
      kept++;
      if (chunk.length >= 5_000) {
        fs.writeSync(fd, chunk.join('\n') + '\n');
        chunk = [];
      }
    }
    if (chunk.length > 0) fs.writeSync(fd, chunk.join('\n') + '\n');
    written += kept;
    sources.push({
      file: path.relative(REPO_ROOT, file),
      sha256: sha256(file),
      symbol,
      candles: candles.length,
      rows: kept,
      first: new Date(candles[0][0]).toISOString(),
      last: new Date(candles[candles.length - 1][0]).toISOString(),
    });
    console.log(`${symbol}: ${candles.length} candles -> ${kept} rows`);
  }
  fs.closeSync(fd);

  const meta = {
    generatedBy: 'scripts/build-features.ts',
    timeframe: TIMEFRAME,
    featureNames: [...FEATURE_NAMES],
    classes: CLASSES,
    label: {
      horizonCandles: opts.horizon,
      threshold: opts.threshold,
      definition:
        `forward_return = close[t+${opts.horizon}] / close[t] - 1 (close to close, ${opts.horizon} x ${TIMEFRAME}); ` +
        `up if > ${opts.threshold}, down if < -${opts.threshold}, else flat. Rows whose horizon crosses a data gap are dropped.`,
      thresholdRationale:
        opts.threshold === DEFAULT_THRESHOLD
          ? `2 x ${DEFAULT_FEE_RATE} taker fee (entry + exit) + ${DEFAULT_COST_MARGIN} for slippage and spread`
          : 'set by --threshold',
    },
    rows: written,
    labelCounts,
    sources,
  };
  const metaFile = opts.out.replace(/\.csv$/, '') + '.meta.json';
  fs.writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
  console.log(`wrote ${written} rows to ${opts.out} (labels ${JSON.stringify(labelCounts)}) and ${metaFile}`);
}

try {
  main();
} catch (err) {
  console.error(`build-features: ${(err as Error).message}`);
  process.exit(1);
}
