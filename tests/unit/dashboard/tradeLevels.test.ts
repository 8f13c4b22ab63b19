/**
 * Every trade's protective levels on the candlestick chart. The record activity keeps each held position's levels
 * with its snapshot (the stop in force, which stop it is, the take-profit) in a database built by the committed
 * migrations, replaced on a retry, null for a position without levels. The chart's query reads them back and lays
 * them on the candles of a replay of real Binance 1h candles: a line runs while a position is held, reaches the
 * candle of its exit, and breaks where nothing was held, so two trades are never joined; another symbol's levels
 * never show.
 */
import path from 'node:path';
import { loadReplaySeries } from '../../../activities/market/replaySource';
import { recordCycle } from '../../../activities/persistence/recordCycle';
import { loadPortfolioActivity } from '../../../analytics/portfolioRecords';
import { candleChart, levelSeries, recordedLevels, type LevelPoint } from '../../../dashboard/queries/candles';
import type { CycleRecord, Position, Protection } from '../../../domain/types';
import { scratchDatabase } from '../../helpers/scratchDatabase';

const HOUR = 3_600_000;
const MARKET = 'replay:../shared/data/ohlcv';
const scratch = scratchDatabase('candle-levels');
let start: number;

beforeAll(async () => {
  const series = await loadReplaySeries(path.resolve(__dirname, '../../../../shared/data/ohlcv'), 'BTC/USDT', '1h');
  start = series[0][0] + 500 * HOUR;
});

const guard = (stop: number, takeProfit: number): Protection => ({ stop, takeProfit, highWater: stop + 1_000, trailDistance: 5_000, checkedThrough: 0 });
const btc = (stop: number, takeProfit: number): Position => ({ symbol: 'BTC/USDT', quantity: 0.01, avgPrice: 20_000, protection: guard(stop, takeProfit) });
const eth: Position = { symbol: 'ETH/USDT', quantity: 1, avgPrice: 1_500, protection: guard(1_400, 1_700) };

/** Cycle n's signals describe the candle opened n-1 hours after `start`: its mark is the open of candle n. */
async function record(portfolioId: string, held: (Position | undefined)[][]): Promise<void> {
  for (const [i, positions] of held.entries()) {
    const n = i + 1;
    const asOf = start + (n - 1) * HOUR;
    const book = { cash: 1_000, positions: Object.fromEntries(positions.filter((p) => p).map((p) => [p!.symbol, p!])), realizedPnlToday: 0, dayStartEquity: 1_000, day: '2026-01-01' };
    const record: CycleRecord = {
      cycleId: `${portfolioId}-cycle-${n}`, portfolioId, cycleNo: n, mode: 'paper', market: MARKET, status: 'completed', startedAt: Date.now(), finishedAt: Date.now(),
      features: [], verdicts: [], decisions: [], orders: [], book, prices: { 'BTC/USDT': 20_000 }, equity: 1_000,
      signals: [{ symbol: 'BTC/USDT', asOf, direction: 'up', confidence: 0.5, probabilities: { up: 0.5, flat: 0.3, down: 0.2 }, modelVersion: 'test' }],
    };
    await recordCycle(record, scratch.db);
  }
}

function cycle(cycleNo: number, positions: Position[]): CycleRecord {
  return {
    cycleId: `levels-cycle-${cycleNo}`, portfolioId: 'levels', cycleNo, mode: 'paper', market: 'replay:tests/fixtures', status: 'completed',
    startedAt: Date.now(), finishedAt: Date.now(), features: [], signals: [], verdicts: [], decisions: [], orders: [],
    book: { cash: 5_000, positions: Object.fromEntries(positions.map((p) => [p.symbol, p])), realizedPnlToday: 0, dayStartEquity: 10_000, day: '2026-01-05' },
    prices: { 'BTC/USDT': 50_000, 'ETH/USDT': 3_000, 'SOL/USDT': 150 }, equity: 10_000,
  };
}

const protection: Protection = { stop: 48_000, takeProfit: 56_000, highWater: 50_000, trailDistance: 3_000, checkedThrough: 0 };
const held: Position = { symbol: 'BTC/USDT', quantity: 0.05, avgPrice: 50_000, protection };
// The high-water mark rose far enough that the trailing stop (3,200 - 5%) is above the initial one.
const trailed: Position = { symbol: 'ETH/USDT', quantity: 1, avgPrice: 2_900, protection: { stop: 2_700, takeProfit: 3_500, highWater: 3_200, trailDistance: 400, trailPct: 0.05, checkedThrough: 0 } };
const unguarded: Position = { symbol: 'SOL/USDT', quantity: 3, avgPrice: 150 };

async function levels(cycleId: string) {
  return scratch.db.positionSnapshot.findMany({ where: { cycleId }, orderBy: { symbol: 'asc' }, select: { symbol: true, stopPrice: true, stopKind: true, takeProfitPrice: true } });
}

describe('recordCycle keeps the protective levels of each position', () => {
  it('writes the stop in force (initial or trailing), its kind and the take-profit; nulls without levels', async () => {
    await recordCycle(cycle(1, [held, trailed, unguarded]), scratch.db);
    expect(await levels('levels-cycle-1')).toEqual([
      { symbol: 'BTC/USDT', stopPrice: 48_000, stopKind: 'stop-loss', takeProfitPrice: 56_000 },
      { symbol: 'ETH/USDT', stopPrice: 3_040, stopKind: 'trailing-stop', takeProfitPrice: 3_500 },
      { symbol: 'SOL/USDT', stopPrice: null, stopKind: null, takeProfitPrice: null },
    ]);
  });

  it('a retried record replaces them with the levels it carries', async () => {
    const raised: Position = { ...held, protection: { ...protection, highWater: 53_000 } }; // trail 50,000 > stop 48,000
    await recordCycle(cycle(1, [raised]), scratch.db);
    expect(await levels('levels-cycle-1')).toEqual([{ symbol: 'BTC/USDT', stopPrice: 50_000, stopKind: 'trailing-stop', takeProfitPrice: 56_000 }]);
  });
});

const at = (n: number) => (start + n * HOUR) / 1000;
const level = (n: number, stop: number, takeProfit: number): LevelPoint => ({ time: at(n), stop, takeProfit });
const gap = (n: number): LevelPoint => ({ time: at(n) });

describe('the candlestick chart draws every trade’s stop and take-profit over time', () => {
  it('from the snapshots: a line while held, up to the exit candle, gaps where flat, the newest cycle on the last candle', async () => {
    // Flat, flat, a trade held three cycles (its trailing stop rising), flat twice, one held a cycle, flat once
    // between two trades, then an open trade. ETH is held all along: its levels are not BTC's.
    await record('levels', [
      [eth], [eth], [btc(18_000, 24_000), eth], [btc(18_500, 24_000), eth], [btc(19_000, 24_000), eth], [eth], [eth],
      [btc(17_000, 23_000), eth], [eth], [btc(16_000, 22_000), eth], [btc(16_500, 22_000), eth], [btc(17_500, 22_000), eth],
    ]);
    const activity = (await loadPortfolioActivity('levels', { timeframe: '1h' }, scratch.db))!;
    const chart = await candleChart(activity, MARKET, 'BTC/USDT', '1h', undefined, await recordedLevels(scratch.db, 'levels', 'BTC/USDT'));
    expect(chart.problem).toBeUndefined();
    // The chart ends on the last closed candle, the one opened at cycle 11's mark: cycle 12's levels stand on it.
    expect(chart.candles[chart.candles.length - 1].time).toBe(at(11));
    expect(chart.levels).toEqual([
      gap(1), // cycles 1 and 2 held no BTC: one gap point is enough
      level(3, 18_000, 24_000), level(4, 18_500, 24_000), level(5, 19_000, 24_000),
      level(6, 19_000, 24_000), // sold in cycle 6: the levels it sold against reach the exit candle
      gap(7),
      level(8, 17_000, 23_000),
      gap(9), // flat for one cycle between two trades: the lines break there
      level(10, 16_000, 22_000), level(11, 17_500, 22_000),
    ]);
    const eths = levelSeries(activity, await recordedLevels(scratch.db, 'levels', 'ETH/USDT'), start, start + 11 * HOUR, HOUR);
    expect(eths).toEqual(Array.from({ length: 11 }, (_, i) => level(i + 1, 1_400, 1_700)));
  });

  it('keeps to the candles shown, one point per candle: the newest cycle of a longer candle', () => {
    const base = Date.UTC(2024, 0, 1);
    const ids = Array.from({ length: 8 }, (_, i) => `c${i + 1}`);
    const activity = { cycleIds: ids, marks: ids.map((_, i) => ({ cycleNo: i + 1, time: base + (i + 1) * HOUR, equity: 1 })) };
    const levels = new Map([['c2', { stop: 1, takeProfit: 5 }], ['c3', { stop: 2, takeProfit: 5 }], ['c6', { stop: 3 }]]);
    // 4h candles from base + 4h: cycles 1 to 3 are before the chart, 4 to 7 share its first candle (cycle 7, the
    // one after the stop-only cycle 6, keeps its levels: nothing was held after it), cycle 8 is flat.
    expect(levelSeries(activity, levels, base + 4 * HOUR, base + 8 * HOUR, 4 * HOUR)).toEqual([
      { time: (base + 4 * HOUR) / 1000, stop: 3 },
      { time: (base + 8 * HOUR) / 1000 },
    ]);
    expect(levelSeries(activity, levels, base + 100 * HOUR, base + 200 * HOUR, HOUR)).toEqual([]);
  });
});
