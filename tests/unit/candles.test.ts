import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CandleCsvError,
  CandleValidationError,
  parseCandleCsv,
  timeframeToMs,
  validateCandles,
} from '../../domain/candles';
import type { Candle } from '../../domain/types';

const OHLCV_DIR = path.resolve(__dirname, '../../../shared/data/ohlcv');
const H = 3_600_000;
const T0 = Date.UTC(2021, 3, 4, 20);

/** Twenty clean hourly candles, so a broken row can sit in the middle of a valid series. */
function cleanSeries(): Candle[] {
  return Array.from({ length: 20 }, (_, i) => [T0 + i * H, 100 + i, 102 + i, 99 + i, 101 + i, 10] as Candle);
}

function validationError(candles: Candle[]): CandleValidationError {
  try {
    validateCandles('BTC/USDT', candles);
  } catch (err) {
    expect(err).toBeInstanceOf(CandleValidationError);
    return err as CandleValidationError;
  }
  throw new Error('expected validateCandles to throw');
}

describe('validateCandles', () => {
  it('accepts a clean series and an empty one', () => {
    expect(() => validateCandles('BTC/USDT', cleanSeries())).not.toThrow();
    expect(() => validateCandles('BTC/USDT', [])).not.toThrow();
  });

  const cases: Array<[string, (c: Candle) => void, string]> = [
    ['non-finite close', (c) => (c[4] = NaN), 'finite numbers'],
    ['infinite volume', (c) => (c[5] = Infinity), 'finite numbers'],
    ['zero open', (c) => (c[1] = 0), 'prices>0'],
    ['negative low', (c) => (c[3] = -1), 'prices>0'],
    ['negative volume', (c) => (c[5] = -0.5), 'volume>=0'],
    ['high below close', (c) => (c[2] = c[4] - 0.5), 'high>=max(open,close)'],
    ['low above open', (c) => (c[3] = c[1] + 0.5), 'low<=min(open,close)'],
    ['high below low', (c) => ((c[2] = 90), (c[3] = 95)), 'high>=low'],
    ['fractional timestamp', (c) => (c[0] += 0.5), 'timestamp is integer ms'],
  ];

  it.each(cases)('reports %s with symbol, row and rule', (_name, breakIt, rule) => {
    const candles = cleanSeries();
    breakIt(candles[17]);
    const err = validationError(candles);
    expect(err.symbol).toBe('BTC/USDT');
    expect(err.row).toBe(17);
    expect(err.rule).toBe(rule);
    expect(err.message).toContain('BTC/USDT row 17');
    expect(err.message).toContain(`[rule ${rule}]`);
  });

  it('writes the message the way an operator reads it', () => {
    const candles = cleanSeries();
    candles[17] = [T0 + 17 * H, 99, 100, 98, 101, 10];
    expect(validationError(candles).message).toBe(
      'BTC/USDT row 17 (2021-04-05T13:00:00.000Z): high 100 is below close 101 [rule high>=max(open,close)]',
    );
  });

  it('refuses duplicate and unsorted timestamps', () => {
    const duplicate = cleanSeries();
    duplicate[5][0] = duplicate[4][0];
    expect(validationError(duplicate)).toMatchObject({ row: 5, rule: 'timestamps strictly ascending' });
    expect(validationError(duplicate).message).toContain('repeats');

    const unsorted = cleanSeries();
    [unsorted[8], unsorted[9]] = [unsorted[9], unsorted[8]];
    expect(validationError(unsorted)).toMatchObject({ row: 9, rule: 'timestamps strictly ascending' });
  });

  it('refuses a row with the wrong number of fields', () => {
    const candles = cleanSeries();
    (candles as unknown[])[3] = [T0 + 3 * H, 1, 2, 3];
    expect(validationError(candles)).toMatchObject({ row: 3, rule: 'six fields [timestamp,open,high,low,close,volume]' });
  });

  it('passes a real Binance file, zero-volume outage candle included', () => {
    const file = path.join(OHLCV_DIR, 'binance_BTC-USDT_1h.csv');
    const candles = parseCandleCsv(readFileSync(file, 'utf8'), file);
    expect(candles.length).toBe(23987);
    expect(candles[0]).toEqual([1617566400000, 57953.86, 58051.25, 57826.16, 58025.11, 1240.209016]);
    expect(() => validateCandles('BTC/USDT', candles)).not.toThrow();
    expect(candles.some((c) => c[5] === 0)).toBe(true);
  });
});

describe('parseCandleCsv', () => {
  const header = 'timestamp,open,high,low,close,volume';

  it('parses rows, CRLF and a trailing blank line', () => {
    const text = `${header}\r\n1617566400000,1,2,0.5,1.5,10\r\n1617570000000,1.5,2,1,1.2,0\r\n\r\n`;
    expect(parseCandleCsv(text, 'x.csv')).toEqual([
      [1617566400000, 1, 2, 0.5, 1.5, 10],
      [1617570000000, 1.5, 2, 1, 1.2, 0],
    ]);
  });

  it('requires the header', () => {
    expect(() => parseCandleCsv('1617566400000,1,2,0.5,1.5,10\n', 'nohead.csv')).toThrow(
      /nohead\.csv line 1: expected header timestamp,open,high,low,close,volume/,
    );
    expect(() => parseCandleCsv('', 'empty.csv')).toThrow(/empty\.csv.*empty file/);
  });

  it('names file, line and column of a bad number', () => {
    const text = `${header}\n1617566400000,1,2,0.5,1.5,10\n1617570000000,1.5,abc,1,1.2,0\n`;
    let caught: unknown;
    try {
      parseCandleCsv(text, 'data/binance_BTC-USDT_1h.csv');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CandleCsvError);
    expect(caught).toMatchObject({ label: 'data/binance_BTC-USDT_1h.csv', line: 3, column: '3 (high)' });
    expect((caught as Error).message).toBe(
      "data/binance_BTC-USDT_1h.csv line 3, column 3 (high): 'abc' is not a number",
    );
  });

  it('refuses empty fields and non-decimal notations that Number() would accept', () => {
    expect(() => parseCandleCsv(`${header}\n1617566400000,1,2,,1.5,10\n`, 'f.csv')).toThrow(/line 2, column 4 \(low\): '' is not a number/);
    expect(() => parseCandleCsv(`${header}\n0x10,1,2,1,1.5,10\n`, 'f.csv')).toThrow(/column 1 \(timestamp\)/);
    expect(() => parseCandleCsv(`${header}\n1,1,2,1,Infinity,10\n`, 'f.csv')).toThrow(/column 5 \(close\)/);
  });

  it('names the line with a wrong field count', () => {
    expect(() => parseCandleCsv(`${header}\n1,1,2,1,1.5\n`, 'short.csv')).toThrow(
      'short.csv line 2: expected 6 comma-separated fields, got 5',
    );
  });
});

describe('timeframeToMs', () => {
  it('converts ccxt timeframes', () => {
    expect(timeframeToMs('1m')).toBe(60_000);
    expect(timeframeToMs('5m')).toBe(300_000);
    expect(timeframeToMs('4h')).toBe(4 * H);
    expect(timeframeToMs('1d')).toBe(24 * H);
    expect(timeframeToMs('1w')).toBe(7 * 24 * H);
  });

  it('refuses unknown or month timeframes', () => {
    for (const bad of ['1M', 'h', '0m', '1x', '']) expect(() => timeframeToMs(bad)).toThrow(/unknown timeframe/);
  });
});
