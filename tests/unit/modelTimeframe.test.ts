/**
 * A cycle on another timeframe than the model's (5m) gets the model's features of the last CLOSED hour at its
 * decision time: the same numbers the 1h path computes for that hour, never an hour still open, read with a second
 * market-data fetch that moves nothing. Real Binance 5m candles (../shared/data/ohlcv, 2025-08-19..2025-09-18).
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeFeatures } from '../../activities/features';
import { runBacktest } from '../../backtest';
import { computeFeatureMatrix, FEATURE_TIMEFRAME, MIN_CANDLES } from '../../domain/features/definition';
import { fetchMarketData } from '../../activities/market';
import { SIM_EPOCH_MS, simSeries } from '../../activities/market/simMarket';
import { parseCandleCsv } from '../../domain/candles';
import { defaultConfig, type PortfolioConfig } from '../../domain/config';
import { runCycle, type CycleEffects } from '../../domain/cycle';
import { MODEL_CANDLES_PATCH } from '../../domain/cycle/modelCandles';
import { newBook } from '../../domain/ledger';
import { aggregateCandles, MODEL_CANDLES, MODEL_TIMEFRAME, MODEL_TIMEFRAME_MS } from '../../domain/modelMarket';
import type { Candle, CycleRecord, FeatureVector, MarketCursor } from '../../domain/types';

const OHLCV_DIR = path.resolve(__dirname, '../../../shared/data/ohlcv');
const M5 = 300_000;
const H = 3_600_000;
const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
const fileOf = (symbol: string, tf: string) => `binance_${symbol.replace('/', '-')}_${tf}.csv`;
const read = (dir: string, symbol: string, tf: string): Candle[] => {
  const file = path.join(dir, fileOf(symbol, tf));
  return parseCandleCsv(readFileSync(file, 'utf8'), file);
};

/**
 * A replay dir with the real 5m files and, as `_1h.csv`, the same candles aggregated into hours: a 1h portfolio on it
 * runs "the 1h path" over exactly the hours a 5m portfolio on it trades through.
 */
let dir: string;
const hours: Record<string, Candle[]> = {};
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'model-timeframe-'));
  for (const symbol of SYMBOLS) {
    symlinkSync(path.join(OHLCV_DIR, fileOf(symbol, '5m')), path.join(dir, fileOf(symbol, '5m')));
    hours[symbol] = aggregateCandles(read(OHLCV_DIR, symbol, '5m'), M5, H);
    // String(x) writes the shortest text that reads back as the same double: the file holds the exact bars.
    writeFileSync(path.join(dir, fileOf(symbol, '1h')), ['timestamp,open,high,low,close,volume', ...hours[symbol].map((c) => c.join(','))].join('\n') + '\n');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The cycle with the real market and features activities; no signals, so nothing is traded. Returns its record. */
async function cycleFeatures(config: PortfolioConfig, cursor: MarketCursor, calls: string[] = [], failure?: string): Promise<CycleRecord> {
  let record: CycleRecord | undefined;
  const unused = async () => {
    throw new Error('not expected in this cycle');
  };
  const fx: CycleEffects = {
    cycleId: 'portfolio-p-abc-cycle-1', now: () => (cursor.time ?? 0) + 2 * H, patched: (id) => (calls.push(`patched:${id}`), true), warn: () => undefined,
    describeFailure: (err) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
    proposeStrategies: () => {
      throw new Error('no strategies here');
    },
    fetchMarketData: async (input) => {
      calls.push(`fetch ${input.timeframe}${input.closedBy === undefined ? '' : ` closedBy ${new Date(input.closedBy).toISOString()} from ${input.baseTimeframe}`}`);
      return fetchMarketData(input);
    },
    reconcileAccount: async (input) => ({ inSync: true, drifts: [], corrected: input.book, snapshot: { venue: 'paper', asOf: 0, balances: {} } }),
    computeFeatures: async (input) => {
      calls.push(`features ${input.snapshots.map((s) => `${s.symbol}:${s.timeframe}:${s.candles.length}`).join(',')}${input.reference ? ` ref ${input.reference.timeframe}` : ''}`);
      return computeFeatures(input);
    },
    inferSignals: async () => [],
    validateTrades: unused, assessTradeRisk: unused, placeOrder: unused, pollOrder: unused, cancelOrder: unused, placeProtectiveStop: unused,
    recordCycle: async (r) => {
      record = r;
      return { cycleId: r.cycleId };
    },
    scoreMatureSignals: async () => ({ scored: 0, unscorable: 0, unknownVersions: [] }),
  };
  const outcome = await runCycle({ portfolioId: 'p', cycleNo: 1, config, book: newBook(config.initialCash, 0), cursor }, fx);
  expect({ status: outcome.status, error: outcome.error }).toEqual(failure === undefined ? { status: 'completed', error: undefined } : { status: 'failed', error: failure });
  return record!;
}

const configAt = (timeframe: '5m' | '1h', symbols = ['ETH/USDT', 'SOL/USDT']) =>
  defaultConfig({ portfolioId: 'p', market: `replay:${dir}`, symbols, timeframe, candleLimit: 400 });

const byHour = new Map<number, FeatureVector[]>();
/** The 1h path: a 1h portfolio's cycle on the hour opening at `hour` (its cursor is the hour before). */
async function hourFeatures(hour: number): Promise<FeatureVector[]> {
  if (!byHour.has(hour)) byHour.set(hour, (await cycleFeatures(configAt('1h'), { time: hour - H })).features);
  return byHour.get(hour)!;
}

describe('the model timeframe', () => {
  it('is the features\' own: 1h, with the history they need', () => {
    expect(MODEL_TIMEFRAME).toBe(FEATURE_TIMEFRAME);
    expect(MODEL_TIMEFRAME_MS).toBe(3_600_000);
    expect(MODEL_CANDLES).toBe(MIN_CANDLES);
  });

  it('aggregates 5m candles into hours on the UTC grid, leaving out the partial first hour', () => {
    const m5 = read(OHLCV_DIR, 'BTC/USDT', '5m');
    const bars = hours['BTC/USDT'];
    // The file starts at 15:10: the 15:00 hour lacks its first two candles and is left out.
    expect(m5[0][0]).toBe(Date.UTC(2025, 7, 19, 15, 10));
    expect(bars[0][0]).toBe(Date.UTC(2025, 7, 19, 16));
    const k = 200;
    const first = m5.findIndex((c) => c[0] === bars[k][0]);
    const twelve = m5.slice(first, first + 12);
    expect(bars[k]).toEqual([
      twelve[0][0], twelve[0][1], Math.max(...twelve.map((c) => c[2])), Math.min(...twelve.map((c) => c[3])), twelve[11][4],
      twelve.reduce((sum, c) => sum + c[5], 0),
    ]);
  });
});

describe('a 5m cycle reads the model\'s features of the last closed hour', () => {
  it('equal, number for number, to the 1h path\'s features of that hour, at every 5m decision through two hours', async () => {
    const start = Date.UTC(2025, 8, 10, 9, 45); // decisions from 09:50 to 12:15: hours 08:00 to 11:00
    let compared = 0;
    for (let t = start; t <= start + 2 * H + 5 * M5; t += M5) {
      const record = await cycleFeatures(configAt('5m'), { time: t - M5 });
      const decision = t + M5; // the 5m candle opening at t closes here, and the cycle decides
      const lastClosedHour = Math.floor(decision / H) * H - H;
      expect(record.features.map((f) => [f.symbol, f.asOf])).toEqual([['ETH/USDT', lastClosedHour], ['SOL/USDT', lastClosedHour]]);
      // Never an hour still open at the decision, and the newest one that has closed.
      expect(lastClosedHour + H).toBeLessThanOrEqual(decision);
      expect(lastClosedHour + 2 * H).toBeGreaterThan(decision);
      expect(record.features).toEqual(await hourFeatures(lastClosedHour));
      compared++;
    }
    expect(compared).toBe(30);
    expect([...byHour.keys()]).toEqual([8, 9, 10, 11].map((h) => Date.UTC(2025, 8, 10, h)));
    // The hour before a boundary and the hour after it differ: the comparison reads the right hour, not any.
    const [a, b] = [...byHour.values()];
    expect(a[0].values).not.toEqual(b[0].values);
  });

  it('and the same as the training path (every hour\'s row over the whole history)', async () => {
    const decision = Date.UTC(2025, 8, 12, 17, 35);
    const record = await cycleFeatures(configAt('5m'), { time: decision - 2 * M5 });
    const hour = Date.UTC(2025, 8, 12, 16);
    const i = hours['ETH/USDT'].findIndex((c) => c[0] === hour);
    expect(record.features[0]).toMatchObject({ symbol: 'ETH/USDT', asOf: hour, close: hours['ETH/USDT'][i][4] });
    expect(record.features[0].values).toEqual(computeFeatureMatrix(hours['ETH/USDT'], hours['BTC/USDT']).rows[i]);
  });

  it('with a second fetch of 1h candles that moves nothing, behind its patch, the reference fetched last', async () => {
    const calls: string[] = [];
    const cursor = { time: Date.UTC(2025, 8, 10, 10, 20) };
    await cycleFeatures(configAt('5m'), cursor, calls);
    const cycleFetch = 'fetch 5m';
    const modelFetch = `fetch 1h closedBy ${new Date(cursor.time + 2 * M5).toISOString()} from 5m`;
    expect(calls.filter((c) => c.startsWith('fetch') || c.startsWith('features') || c === `patched:${MODEL_CANDLES_PATCH}`)).toEqual([
      cycleFetch, `patched:${MODEL_CANDLES_PATCH}`, modelFetch, 'features ETH/USDT:1h:359,SOL/USDT:1h:359 ref 1h',
    ]);
    // A 1h portfolio reads its features from its own candles, as it always has: no patch, no second fetch.
    const hourly: string[] = [];
    await cycleFeatures(configAt('1h'), { time: Date.UTC(2025, 8, 10, 10) }, hourly);
    expect(hourly.filter((c) => c.startsWith('fetch') || c.includes(MODEL_CANDLES_PATCH))).toEqual(['fetch 1h']);
  });
});

describe('a 4h cycle reads the model\'s own 1h candles', () => {
  const fourHours = (symbols: string[]) => defaultConfig({ portfolioId: 'p', market: `replay:${OHLCV_DIR}`, symbols, timeframe: '4h', candleLimit: 100 });

  it('from the dir\'s 1h files: the 1h path\'s features of the last hour closed at its decision', async () => {
    // The 4h candle opening at 08:00 closes at 12:00: the hour opening at 11:00 has just closed.
    const record = await cycleFeatures(fourHours(['ETH/USDT']), { time: Date.UTC(2023, 5, 10, 4) });
    const hourly = await cycleFeatures(defaultConfig({ portfolioId: 'p', market: `replay:${OHLCV_DIR}`, symbols: ['ETH/USDT'], timeframe: '1h', candleLimit: 400 }), { time: Date.UTC(2023, 5, 10, 10) });
    expect(record.features[0].asOf).toBe(Date.UTC(2023, 5, 10, 11));
    expect(record.features).toEqual(hourly.features);
  });

  it('and refuses 1h candles that stopped long before the decision rather than reading them as current', async () => {
    // The 1h files end on 2023-12-30; the 4h ones run into 2026.
    const record = await cycleFeatures(fourHours(['ETH/USDT']), { time: Date.UTC(2024, 5, 1) }, [],
      'signals unavailable, only protective exits ran: Error: ETH/USDT: the newest 1h candle opened at 2023-12-30T19:00:00.000Z, but the one closed at the decision opened at 2024-06-01T07:00:00.000Z: the market\'s 1h candles are not current');
    expect(record.features).toEqual([]);
  });
});

describe('fetchMarketData with closedBy (the model\'s candles at a decision)', () => {
  const input = (closedBy: number, cursor: MarketCursor = { time: 123 }) => ({
    market: `replay:${dir}`, symbols: ['ETH/USDT', 'BTC/USDT'], timeframe: '1h', limit: MODEL_CANDLES, cursor, closedBy, baseTimeframe: '5m',
  });

  it('serves the hours closed at that time from the walked 5m series, and moves no cursor', async () => {
    const cursor = { time: Date.UTC(2025, 8, 5, 13, 50) };
    const next = await fetchMarketData({ market: `replay:${dir}`, symbols: ['ETH/USDT'], timeframe: '5m', limit: 60, cursor });
    const atHour = await fetchMarketData(input(Date.UTC(2025, 8, 5, 14), cursor));
    const justBefore = await fetchMarketData(input(Date.UTC(2025, 8, 5, 14) - 1, cursor));
    expect(atHour.nextCursor).toEqual(cursor);
    expect(atHour.exhausted).toBe(false);
    // 14:00 closes the 13:00 hour; a millisecond earlier it is still open.
    expect(atHour.snapshots.map((s) => [s.symbol, s.timeframe, s.candles.length, s.candles[s.candles.length - 1][0]])).toEqual([
      ['ETH/USDT', '1h', MODEL_CANDLES, Date.UTC(2025, 8, 5, 13)], ['BTC/USDT', '1h', MODEL_CANDLES, Date.UTC(2025, 8, 5, 13)],
    ]);
    expect(justBefore.snapshots[0].candles[MODEL_CANDLES - 1][0]).toBe(Date.UTC(2025, 8, 5, 12));
    const i = hours['ETH/USDT'].findIndex((c) => c[0] === Date.UTC(2025, 8, 5, 13));
    expect(atHour.snapshots[0].candles).toEqual(hours['ETH/USDT'].slice(i - MODEL_CANDLES + 1, i + 1));
    // The replay walks on exactly as if the model's fetch had not happened.
    expect(await fetchMarketData({ market: `replay:${dir}`, symbols: ['ETH/USDT'], timeframe: '5m', limit: 60, cursor })).toEqual(next);
  });

  it('serves what there is early in the data (the features then refuse it as too short a history)', async () => {
    const early = await fetchMarketData(input(Date.UTC(2025, 8, 1)));
    expect(early.snapshots[0].candles).toHaveLength(hours['ETH/USDT'].findIndex((c) => c[0] === Date.UTC(2025, 8, 1)));
    await expect(computeFeatures({ snapshots: [early.snapshots[0]], reference: early.snapshots[1] })).rejects.toMatchObject({
      type: 'InsufficientHistory', message: expect.stringContaining('ETH/USDT: got 296 candles, features need at least 359'),
    });
  });

  it('starts a fresh 5m replay where the model\'s hours are full, so its first cycle gets signals', async () => {
    const first = await fetchMarketData({ market: `replay:${dir}`, symbols: SYMBOLS, timeframe: '5m', limit: 400, cursor: { time: null } });
    // Hours from 2025-08-19 16:00 on: the 359th closes at 2025-09-03 15:00, the close of the 14:55 candle.
    expect(first.nextCursor.time).toBe(Date.UTC(2025, 8, 3, 14, 55));
    const model = await fetchMarketData({ ...input(first.nextCursor.time! + M5), symbols: SYMBOLS });
    expect(model.snapshots.map((s) => s.candles.length)).toEqual([MODEL_CANDLES, MODEL_CANDLES, MODEL_CANDLES]);
    // A 1h replay starts where it always has.
    const hourly = await fetchMarketData({ market: `replay:${dir}`, symbols: SYMBOLS, timeframe: '1h', limit: 60, cursor: { time: null } });
    expect(hourly.nextCursor.time).toBe(hours['BTC/USDT'][59][0]);
  });

  it('on the sim market: its 5m path aggregated, and a fresh 5m start where the model\'s hours are full', async () => {
    const closedBy = SIM_EPOCH_MS + 500 * H + 25 * 60_000;
    const sim = await fetchMarketData({ market: 'sim:3', symbols: ['ETH/USDT'], timeframe: '1h', limit: MODEL_CANDLES, cursor: { time: null }, closedBy, baseTimeframe: '5m' });
    const path5m = simSeries(3, 'ETH/USDT', '5m', M5, 500 * 12).slice(0, 500 * 12);
    expect(sim.snapshots[0].candles).toEqual(aggregateCandles(path5m, M5, H).slice(500 - MODEL_CANDLES, 500));
    expect(sim.nextCursor).toEqual({ time: null });
    const fresh = await fetchMarketData({ market: 'sim:3', symbols: ['ETH/USDT'], timeframe: '5m', limit: 400, cursor: { time: null } });
    expect(fresh.nextCursor.time).toBe(SIM_EPOCH_MS + MODEL_CANDLES * H - M5);
    const atStart = await fetchMarketData({ market: 'sim:3', symbols: ['ETH/USDT'], timeframe: '1h', limit: MODEL_CANDLES, cursor: fresh.nextCursor, closedBy: fresh.nextCursor.time! + M5, baseTimeframe: '5m' });
    expect(atStart.snapshots[0].candles).toHaveLength(MODEL_CANDLES);
  });

  it('refuses a closedBy that is not a time', async () => {
    await expect(fetchMarketData({ ...input(Number.NaN) })).rejects.toMatchObject({ type: 'InvalidInput', message: expect.stringContaining('closedBy must be a time') });
  });
});

describe('a 5m backtest with the default strategies and the model', () => {
  it('runs the regime filter and breaker (2,328 candles a cycle) with the model\'s signals in every cycle', async () => {
    const result = await runBacktest({
      dataDir: OHLCV_DIR, symbols: ['ETH/USDT', 'SOL/USDT'], timeframe: '5m', from: '2025-09-04', to: '2025-09-05', strategies: {}, ml: true,
    });
    expect(result.cycles).toBe(2 * 288);
    expect((result.settings.config as PortfolioConfig).candleLimit).toBe(2_328);
    expect(result.decisions.filter((d) => d.error)).toEqual([]);
  });
});
