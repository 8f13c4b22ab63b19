/** Real exchange candles from ../shared/data/ohlcv (see its SOURCES.md), read in place, never copied. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCandleCsv } from '../../../domain/candles';
import type { Candle } from '../../../domain/types';

const OHLCV = path.resolve(__dirname, '../../../../shared/data/ohlcv');
const cache = new Map<string, Candle[]>();

/** Binance <base>/USDT candles of one timeframe, oldest first. */
export function binance(base: string, timeframe: string): Candle[] {
  const file = `binance_${base}-USDT_${timeframe}.csv`;
  let candles = cache.get(file);
  if (!candles) {
    candles = parseCandleCsv(readFileSync(path.join(OHLCV, file), 'utf8'), file);
    cache.set(file, candles);
  }
  return candles;
}

export const utc = (iso: string): number => Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`);

export const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 16);

/** Index of the candle opening at `time`; throws when the file has none. */
export function indexOf(candles: Candle[], time: number): number {
  const i = candles.findIndex((c) => c[0] === time);
  if (i < 0) throw new Error(`no candle at ${iso(time)}`);
  return i;
}
