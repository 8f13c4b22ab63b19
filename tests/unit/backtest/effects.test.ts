/**
 * The backtest effects' shortcuts must give exactly what the cycle workflow computes: the served windows are the
 * candles the replay market would slice, and the effects' summarizeMarket (columns computed once per series) equals
 * domain/marketStats.ts summarizeMarket bit for bit (Object.is on every number, NaN included), on every cycle, through
 * the window's growth, gaps in a symbol's candles and real data. On 5m with the model, the cycle's fetch of the model's
 * 1h candles, its features and its signals are those the market, features and inference activities give.
 */
import path from 'node:path';
import { loadBacktestData, prepareData } from '../../../backtest/data';
import { createBacktestEffects } from '../../../backtest/effects';
import { summarizeMarket, type MarketStats } from '../../../domain/marketStats';
import type { Candle, FeatureVector, MarketCursor } from '../../../domain/types';
import { precomputeModelSignals } from '../../../backtest/signals';
import { computeFeatures } from '../../../activities/features';
import { inferSignals } from '../../../activities/inference';
import { fetchMarketData } from '../../../activities/market';
import { defaultConfig } from '../../../domain/config';
import { modelCandlesAt, type CycleEffects } from '../../../domain/cycle';
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
      // Every field summarizeMarket gives, read from the fast statistics (ATR and returns are computed on read).
      const read = Object.fromEntries(Object.keys(reference).map((k) => [k, fast[k as keyof MarketStats]]));
      expect(read).toEqual(reference);
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

describe('backtest effects: the model on a 5m backtest', () => {
  /** Every 5m cycle's model candles, features and signals, the backtester's against the activities'. */
  async function compareEveryCycle(from: number, to: number): Promise<{ vectors: number; refusals: string[] }> {
    const symbols = ['ETH/USDT', 'SOL/USDT']; // BTC/USDT not traded: the reference comes from its own file
    const market = `replay:${DATA_DIR}`;
    const data = await loadBacktestData({ dataDir: DATA_DIR, symbols, timeframe: '5m', from, to });
    const fx = createBacktestEffects({ data, market, verdicts: 'approve', signals: await precomputeModelSignals(data), record: () => undefined });
    const activities = { fetchMarketData } as unknown as CycleEffects;
    const config = defaultConfig({ market, symbols, timeframe: '5m' });
    const settle = async (run: () => Promise<FeatureVector[]>) => run().then((v) => v, (err: Error) => err.message);
    let cursor: MarketCursor = { time: null };
    let vectors = 0;
    const refusals: string[] = [];
    for (;;) {
      const fetched = await fx.fetchMarketData({ market, symbols: [...symbols, 'BTC/USDT'], timeframe: '5m', limit: 400, cursor });
      if (fetched.exhausted) break;
      cursor = fetched.nextCursor;
      const traded = fetched.snapshots.filter((s) => symbols.includes(s.symbol));
      const ours = await modelCandlesAt(fx, config, traded, cursor);
      const live = await modelCandlesAt(activities, config, traded, cursor);
      expect(ours).toEqual(live);
      const ourFeatures = await settle(async () => fx.computeFeatures(ours));
      const liveFeatures = await settle(() => computeFeatures(live));
      expect(ourFeatures).toEqual(liveFeatures);
      if (typeof ourFeatures === 'string') {
        refusals.push(ourFeatures);
        continue;
      }
      // The same signals, but for the float32 rounding of the model's batched run: the backtester runs 4,096 rows at
      // once, a cycle its few symbols.
      const ourSignals = await fx.inferSignals({ features: ourFeatures });
      const liveSignals = await inferSignals({ features: liveFeatures as FeatureVector[] });
      expect(ourSignals.map(({ confidence, probabilities, ...rest }) => rest)).toEqual(liveSignals.map(({ confidence, probabilities, ...rest }) => rest));
      ourSignals.forEach((sig, k) => {
        expect(sig.confidence).toBeCloseTo(liveSignals[k].confidence, 6);
        for (const d of ['down', 'flat', 'up'] as const) expect(sig.probabilities[d]).toBeCloseTo(liveSignals[k].probabilities[d], 6);
      });
      vectors += ourFeatures.length;
    }
    return { vectors, refusals };
  }

  it('gives the features and signals the activities give at every decision, across midnight', async () => {
    const { vectors, refusals } = await compareEveryCycle(Date.UTC(2025, 8, 9, 22), Date.UTC(2025, 8, 10, 2));
    expect(refusals).toEqual([]);
    expect(vectors).toBe(2 * 48);
  });

  it('and the same refusal while the model\'s hours are still too few, until they are not', async () => {
    // The hours begin on 2025-08-19 at 16:00: the 359th closes on 2025-09-03 at 15:00. Decisions from 13:05 to 16:00.
    const { vectors, refusals } = await compareEveryCycle(Date.UTC(2025, 8, 3, 13), Date.UTC(2025, 8, 3, 16));
    const refusal = (got: number) => `ETH/USDT: got ${got} candles, features need at least 359 (14 closed daily bars plus the current day)`;
    expect(refusals).toEqual([...Array(11).fill(refusal(357)), ...Array(12).fill(refusal(358))]);
    expect(vectors).toBe(2 * 13);
  });
});
