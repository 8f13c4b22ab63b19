/**
 * The real exchange candles the tests run on (../shared/data/ohlcv, next to the project), and the stretches of them
 * a test picks for what it needs to happen.
 */
import fs from 'node:fs';
import path from 'node:path';
import { computeFeatures } from '../../activities/features';
import { inferSignals } from '../../activities/inference';
import { parseCandleCsv } from '../../domain/candles';
import type { Candle } from '../../domain/types';

export const OHLCV_DIR = path.resolve(__dirname, '../../../shared/data/ohlcv');

/**
 * The first `length` hourly BTC/USDT candles (searched from the 2,000th on) on which the served model leans clearly
 * up: a live portfolio started on them buys, for a test or a soak round that needs an entry to trade.
 */
export async function bullishBtcWindow(length: number): Promise<Candle[]> {
  const all = parseCandleCsv(fs.readFileSync(path.join(OHLCV_DIR, 'binance_BTC-USDT_1h.csv'), 'utf8'), 'btc');
  for (let end = 2_000; end < all.length; end += 7) {
    const candles = all.slice(end - length, end);
    const snapshot = { symbol: 'BTC/USDT', timeframe: '1h', candles, source: 'live:binance' };
    const [signal] = await inferSignals({ features: await computeFeatures({ snapshots: [snapshot], reference: snapshot } as never) });
    const { up, down } = signal.probabilities;
    if (up > down * 1.3) return candles;
  }
  throw new Error('no bullish stretch of BTC/USDT 1h candles found');
}
