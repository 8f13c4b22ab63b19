/** Candles as columns, after the checks that keep bad data from poisoning every feature downstream. */
import { ohlcvColumns, type OhlcvColumns } from '../../domain/indicators/ohlcv';
import type { Candle } from '../../domain/types';

export interface CandleColumns extends OhlcvColumns {
  length: number;
}

/** Refuses candles that would poison every feature downstream, naming the first bad one. */
export function assertUsableCandles(candles: Candle[]): void {
  if (!Array.isArray(candles)) throw new Error('candles must be an array of [timestamp, open, high, low, close, volume]');
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i];
    if (!Array.isArray(c) || c.length !== 6 || !c.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`candle ${i} is not six finite numbers [timestamp, open, high, low, close, volume]: ${JSON.stringify(c)}`);
    }
    const [ts, open, high, low, close, volume] = c;
    if (open <= 0 || high <= 0 || low <= 0 || close <= 0) throw new Error(`candle ${i} (ts ${ts}) has a non-positive price`);
    if (high < low) throw new Error(`candle ${i} (ts ${ts}) has high ${high} below low ${low}`);
    if (volume < 0) throw new Error(`candle ${i} (ts ${ts}) has negative volume ${volume}`);
    if (i > 0 && ts <= candles[i - 1][0]) {
      throw new Error(`candle ${i} (ts ${ts}) is not after candle ${i - 1} (ts ${candles[i - 1][0]}): candles must be oldest first, unique`);
    }
  }
}

export function toColumns(candles: Candle[]): CandleColumns {
  assertUsableCandles(candles);
  return { length: candles.length, ...ohlcvColumns(candles) };
}
