/**
 * The backtester's trading cycle on real candles, one cycle at a time: runCycle (domain/cycle) with the backtester's
 * own effects (backtest/effects.ts) over ../shared/data/ohlcv, and a book the test chooses. A test may replace any
 * effect to make a stage fail, and sees every record, order and decision the cycle made.
 */
import path from 'node:path';
import { loadBacktestData, type BacktestData } from '../../backtest/data';
import { createBacktestEffects, type BacktestEffects, type PrecomputedSignals, type VerdictPolicy } from '../../backtest/effects';
import { defaultConfig, type PortfolioConfig } from '../../domain/config';
import { runCycle, type CycleInput, type CycleOutcome } from '../../domain/cycle';
import type { CycleRecord, PortfolioBook, Protection, Signal } from '../../domain/types';

export const OHLCV = path.resolve(__dirname, '../../../shared/data/ohlcv');
export const HOUR = 3_600_000;

/** Levels a position cannot escape: the stop sits far above any price, so the next candle opens through it. */
export const STOP_ABOVE_ANY_PRICE: Protection = { stop: 1e12, takeProfit: 2e12, highWater: 1e12, trailDistance: 1e12, checkedThrough: 0 };

/** A model that says "up" with 70% on every candle: entries are always wanted. */
export function bullishModel(): PrecomputedSignals {
  const signal = (symbol: string, asOf: number): Signal => ({
    symbol, asOf, direction: 'up', confidence: 0.7, probabilities: { up: 0.7, down: 0.1, flat: 0.2 }, modelVersion: 'test-bullish',
  });
  return { features: (symbol, asOf) => ({ symbol, asOf, close: 0, names: [], values: [] }), signal };
}

export interface Harness {
  fx: BacktestEffects;
  data: BacktestData;
  config: PortfolioConfig;
  book: PortfolioBook;
  records: CycleRecord[];
  /** Runs the next cycle on the book as the last one left it. */
  cycle(extra?: Partial<CycleInput>): Promise<CycleOutcome>;
}

export async function cycleHarness(options: {
  symbols: string[];
  /** The first cycle decides on the first candle opening at or after this. */
  from: string;
  book: PortfolioBook;
  config?: Partial<PortfolioConfig>;
  signals?: PrecomputedSignals;
  verdicts?: VerdictPolicy;
}): Promise<Harness> {
  const from = Date.parse(options.from);
  const data = await loadBacktestData({ dataDir: OHLCV, symbols: options.symbols, timeframe: '1h', from, to: from + 30 * 24 * HOUR });
  const config = defaultConfig({ portfolioId: 'harness', market: `replay:${OHLCV}`, symbols: options.symbols, ...options.config });
  const records: CycleRecord[] = [];
  const fx = createBacktestEffects({ data, market: config.market, verdicts: options.verdicts ?? 'approve', signals: options.signals, record: (r) => records.push(r) });
  let cursor: CycleInput['cursor'] = { time: null };
  let openOrders: CycleInput['openOrders'] = [];
  let cycleNo = 0;
  const harness: Harness = {
    fx, data, config, book: options.book, records,
    async cycle(extra = {}) {
      const time = fx.nextTime(cursor.time);
      if (time === null) throw new Error('harness: no candle left');
      fx.setNow(time + HOUR);
      cycleNo += 1;
      fx.cycleId = `harness-cycle-${cycleNo}`;
      const outcome = await runCycle({ portfolioId: 'harness', cycleNo, config, book: harness.book, cursor, openOrders, ...extra }, fx);
      harness.book = outcome.book;
      cursor = outcome.nextCursor;
      openOrders = outcome.openOrders ?? [];
      return outcome;
    },
  };
  return harness;
}
