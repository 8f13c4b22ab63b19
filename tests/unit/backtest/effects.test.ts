/**
 * The backtest effects' shortcuts must give exactly what the cycle workflow computes: the served windows are the
 * candles the replay market would slice, and the effects' summarizeMarket (columns computed once per series) equals
 * domain/marketStats.ts summarizeMarket bit for bit (Object.is on every number, NaN included), on every cycle, through
 * the window's growth, gaps in a symbol's candles and real data.
 */
import path from 'node:path';
import { loadBacktestData, prepareData } from '../../../backtest/data';
import { createBacktestEffects } from '../../../backtest/effects';
import { summarizeMarket } from '../../../domain/marketStats';
import type { Candle, MarketCursor } from '../../../domain/types';
import type { BacktestData } from '../../../backtest/data';

const DATA_DIR = path.join(__dirname, '../../../../shared/data/ohlcv');
const HOUR = 3_600_000;

/** Every cycle's snapshots against the slice and summarizeMarket; returns how many snapshots were checked. */
async function checkEveryCycle(data: BacktestData, limit: number, maxReturns: number): Promise<number> {
  const fx = createBacktestEffects({ data, market: 'replay:test', verdicts: 'approve', record: () => undefined });
  let cursor: MarketCursor = { time: null };
  let checked = 0;
  for (;;) {
    const fetched = await fx.fetchMarketData({ market: 'replay:test', symbols: data.symbols, timeframe: data.timeframe as never, limit, cursor });
    if (fetched.exhausted) break;
    cursor = fetched.nextCursor;
    for (const s of fetched.snapshots) {
      const all = data.series[s.symbol];
      const end = all.findIndex((c) => c[0] > cursor.time!);
      const expectedWindow = all.slice(Math.max(0, (end < 0 ? all.length : end) - limit), end < 0 ? all.length : end);
      expect(s.candles).toEqual(expectedWindow);
      const fast = fx.summarizeMarket!(s.symbol, s.candles, data.timeframeMs, maxReturns);
      const reference = summarizeMarket(s.symbol, expectedWindow, data.timeframeMs, maxReturns);
      expect({ ...fast }).toEqual(reference);
      expect(Object.keys(fast)).toEqual(Object.keys(reference));
      checked++;
    }
  }
  return checked;
}

function synthetic(start: number, count: number, seed: number, skip: (i: number) => boolean): Candle[] {
  const out: Candle[] = [];
  let price = 100 + seed;
  for (let i = 0; i < count; i++) {
    // Deterministic, irregular moves: the true range is sometimes the gap to the previous close.
    const move = Math.sin(i * 0.7 + seed) * 0.02 + (i % 11 === 0 ? 0.05 : 0);
    const open = price * (1 + move / 3);
    const close = price * (1 + move);
    const high = Math.max(open, close) * (1 + Math.abs(Math.cos(i + seed)) * 0.01);
    const low = Math.min(open, close) * (1 - Math.abs(Math.sin(i * 1.3)) * 0.01);
    if (!skip(i)) out.push([start + i * HOUR, open, high, low, close, 10 + i]);
    price = close;
  }
  return out;
}

describe('backtest effects: market windows and statistics', () => {
  it('serves the replay windows and summarizeMarket exactly, through the window growth and gaps', async () => {
    const start = Date.UTC(2024, 0, 1);
    const series = {
      'BTC/USDT': synthetic(start, 200, 1, () => false),
      // Missing candles: the symbol is absent from those cycles and its window jumps.
      'ETH/USDT': synthetic(start, 200, 2, (i) => i % 17 === 5 || (i >= 90 && i < 95)),
    };
    const data = prepareData({ dataDir: 'synthetic', symbols: ['BTC/USDT', 'ETH/USDT'], timeframe: '1h', from: start, to: start + 200 * HOUR }, series);
    // A limit longer than the history at the start (the window grows), and returns shorter than the window.
    expect(await checkEveryCycle(data, 60, 25)).toBeGreaterThan(350);
    // Windows shorter than the ATR period give NaN, as summarizeMarket does.
    expect(await checkEveryCycle(data, 10, 1_000)).toBeGreaterThan(350);
  });

  it('matches summarizeMarket on real candles', async () => {
    const data = await loadBacktestData({
      dataDir: DATA_DIR, symbols: ['BTC/USDT', 'SOL/USDT'], timeframe: '1h', from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 1, 1),
    });
    expect(await checkEveryCycle(data, 400, 720)).toBeGreaterThan(1_400);
  });
});
