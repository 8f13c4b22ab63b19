/**
 * The backtest's market for the cycle's fetch of the model's candles, on another timeframe than the model's.
 */
import type { FetchMarketDataInput } from '../domain/contracts/market';
import { sharedWindowEndingAt } from '../domain/seriesWindow';
import { lastClosedOpen, MODEL_TIMEFRAME, MODEL_TIMEFRAME_MS } from '../domain/modelMarket';
import type { MarketDataResult, MarketSnapshot } from '../domain/types';
import type { PrecomputedSignals } from './effects';

/**
 * The backtest's answer to the cycle's fetch of the model's candles (`closedBy` set: domain/cycle/modelCandles.ts):
 * each symbol's `limit` newest model candles closed at `closedBy`, as replaySource's replayClosedCandles slices them
 * from the same series. A window changes once an hour, so it is sliced once an hour and served as is in between (the
 * cycle only reads it). Without the model (no --ml) there is nothing to read: no snapshots, and computeFeatures
 * returns no vectors either.
 */
export function closedModelCandles(signals: PrecomputedSignals | undefined): (input: FetchMarketDataInput) => MarketDataResult {
  const served = new Map<string, { newest: number; limit: number; snapshot: MarketSnapshot }>();
  return (input) => {
    const { modelSeries } = signals ?? {};
    if (!modelSeries) return { snapshots: [], nextCursor: input.cursor, exhausted: false };
    if (input.timeframe !== MODEL_TIMEFRAME) throw new Error(`backtest: the model's candles are ${MODEL_TIMEFRAME}, asked for ${input.timeframe}`);
    const newest = lastClosedOpen(input.closedBy!, MODEL_TIMEFRAME_MS);
    const snapshots: MarketSnapshot[] = [];
    for (const symbol of input.symbols) {
      const series = modelSeries[symbol];
      if (!series) continue;
      let window = served.get(symbol);
      if (window?.newest !== newest || window.limit !== input.limit) {
        // replaySource's window without its per-candle copies: nothing here writes to them.
        const snapshot = { symbol, timeframe: input.timeframe, candles: sharedWindowEndingAt(series, newest, input.limit), source: input.market };
        served.set(symbol, (window = { newest, limit: input.limit, snapshot }));
      }
      snapshots.push(window.snapshot);
    }
    return { snapshots, nextCursor: input.cursor, exhausted: false };
  };
}
