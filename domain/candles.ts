/**
 * Candle checks and CSV parsing. Pure (no I/O, no node modules) so workflows may import it as well as activities.
 */
import type { Candle } from './types';

export const CANDLE_CSV_HEADER = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const;

/** Bad candle data: names the symbol, the row (0-based index in the series) and the rule it broke. */
export class CandleValidationError extends Error {
  constructor(
    readonly symbol: string,
    readonly row: number,
    readonly rule: string,
    detail: string,
    timestamp?: number,
  ) {
    super(`${symbol} row ${row}${timestamp === undefined ? '' : ` (${describeTime(timestamp)})`}: ${detail} [rule ${rule}]`);
    this.name = 'CandleValidationError';
  }
}

/** A CSV file that cannot be read as candles: names the file label, the 1-based line and the column. */
export class CandleCsvError extends Error {
  constructor(
    readonly label: string,
    readonly line: number,
    readonly column: string | null,
    detail: string,
  ) {
    super(`${label} line ${line}${column === null ? '' : `, column ${column}`}: ${detail}`);
    this.name = 'CandleCsvError';
  }
}

export const CANDLE_RULES = {
  shape: 'six fields [timestamp,open,high,low,close,volume]',
  finite: 'finite numbers',
  integerTime: 'timestamp is integer ms',
  positivePrice: 'prices>0',
  volume: 'volume>=0',
  highLow: 'high>=low',
  highEnvelope: 'high>=max(open,close)',
  lowEnvelope: 'low<=min(open,close)',
  ascending: 'timestamps strictly ascending',
} as const;

const FIELD_NAMES = CANDLE_CSV_HEADER;

function describeTime(ts: number): string {
  if (!Number.isFinite(ts)) return String(ts);
  const date = new Date(ts);
  return Number.isNaN(date.getTime()) ? String(ts) : date.toISOString();
}

/** Throws a CandleValidationError for the first row that breaks a rule; series must be oldest first. */
export function validateCandles(symbol: string, candles: Candle[]): void {
  if (!Array.isArray(candles)) {
    throw new CandleValidationError(symbol, 0, CANDLE_RULES.shape, `expected an array of candles, got ${typeof candles}`);
  }
  for (let row = 0; row < candles.length; row++) {
    validateRow(symbol, candles, row);
  }
}

function validateRow(symbol: string, candles: Candle[], row: number): void {
  const candle = candles[row];
  const fail = (rule: string, detail: string, ts?: number): never => {
    throw new CandleValidationError(symbol, row, rule, detail, ts);
  };
  if (!Array.isArray(candle) || candle.length !== 6) {
    fail(CANDLE_RULES.shape, `expected 6 fields, got ${Array.isArray(candle) ? candle.length : typeof candle}`);
  }
  for (let i = 0; i < 6; i++) {
    if (typeof candle[i] !== 'number' || !Number.isFinite(candle[i])) {
      fail(CANDLE_RULES.finite, `${FIELD_NAMES[i]} ${String(candle[i])} is not a finite number`, i === 0 ? undefined : candle[0]);
    }
  }
  const [ts, open, high, low, close, volume] = candle;
  if (!Number.isInteger(ts) || ts < 0) fail(CANDLE_RULES.integerTime, `timestamp ${ts} is not a non-negative integer`);
  for (const [name, price] of [['open', open], ['high', high], ['low', low], ['close', close]] as const) {
    if (price <= 0) fail(CANDLE_RULES.positivePrice, `${name} ${price} is not positive`, ts);
  }
  if (volume < 0) fail(CANDLE_RULES.volume, `volume ${volume} is negative`, ts);
  // Checked before the envelope rules: high < low always breaks one of them too, and this names the real problem.
  if (high < low) fail(CANDLE_RULES.highLow, `high ${high} is below low ${low}`, ts);
  if (high < Math.max(open, close)) {
    fail(CANDLE_RULES.highEnvelope, `high ${high} is below ${open > close ? `open ${open}` : `close ${close}`}`, ts);
  }
  if (low > Math.min(open, close)) {
    fail(CANDLE_RULES.lowEnvelope, `low ${low} is above ${open < close ? `open ${open}` : `close ${close}`}`, ts);
  }
  if (row > 0) {
    const previous = candles[row - 1][0];
    if (ts <= previous) {
      const what = ts === previous ? 'repeats' : 'is before';
      fail(CANDLE_RULES.ascending, `timestamp ${what} the previous row's ${describeTime(previous)}`, ts);
    }
  }
}

// Plain decimal notation only: Number() would also accept '', '0x1f', 'Infinity' and whitespace.
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Parses `timestamp,open,high,low,close,volume` text (header required, blank lines ignored).
 * `label` names the source (usually the file) in errors. It only parses: run validateCandles on the result.
 */
export function parseCandleCsv(text: string, label: string): Candle[] {
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) throw new CandleCsvError(label, 1, null, `empty file, expected header ${CANDLE_CSV_HEADER.join(',')}`);
  const header = lines[headerIndex].replace(/^\uFEFF/, '').split(',').map((h) => h.trim().toLowerCase());
  if (header.join(',') !== CANDLE_CSV_HEADER.join(',')) {
    throw new CandleCsvError(
      label,
      headerIndex + 1,
      null,
      `expected header ${CANDLE_CSV_HEADER.join(',')}, got ${lines[headerIndex].trim()}`,
    );
  }
  const candles: Candle[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const fields = line.split(',');
    if (fields.length !== 6) {
      throw new CandleCsvError(label, i + 1, null, `expected 6 comma-separated fields, got ${fields.length}`);
    }
    const values = fields.map((raw, col) => {
      const trimmed = raw.trim();
      if (!DECIMAL.test(trimmed)) {
        throw new CandleCsvError(label, i + 1, `${col + 1} (${CANDLE_CSV_HEADER[col]})`, `'${trimmed}' is not a number`);
      }
      return Number(trimmed);
    });
    candles.push(values as Candle);
  }
  return candles;
}

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** ccxt-style timeframe ('1m', '4h', '1d', ...) to milliseconds. Months are refused: they have no fixed length. */
/** Parsed timeframes: every cycle asks for its own, and a regular expression per cycle showed in backtest profiles. */
const TIMEFRAME_MS = new Map<string, number>();

export function timeframeToMs(timeframe: string): number {
  const known = TIMEFRAME_MS.get(timeframe);
  if (known !== undefined) return known;
  const match = /^(\d+)([smhdw])$/.exec(timeframe);
  const amount = match ? Number(match[1]) : 0;
  if (!match || amount <= 0) {
    throw new Error(`unknown timeframe '${timeframe}': expected <number><s|m|h|d|w>, e.g. 1m, 4h, 1d`);
  }
  const ms = amount * UNIT_MS[match[2]];
  TIMEFRAME_MS.set(timeframe, ms);
  return ms;
}
