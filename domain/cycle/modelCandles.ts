/**
 * The model's candles for a cycle that trades another timeframe than the model's (domain/modelMarket.ts): its
 * features are defined on 1h candles, so a 5m cycle reads the hours that have closed by its decision time (the close
 * of its newest candle) with a second market-data fetch at the same cursor. That fetch moves nothing (no cursor
 * advance, no replay step) and serves no hour still open at the decision: the features are those of the last closed
 * hour, the very row the 1h path computes for that hour.
 */
import { timeframeToMs } from '../candles';
import type { PortfolioConfig } from '../config';
import { lastClosedOpen, MODEL_CANDLES, MODEL_TIMEFRAME, MODEL_TIMEFRAME_MS } from '../modelMarket';
import { REFERENCE_SYMBOL } from '../referenceMarket';
import type { MarketCursor, MarketSnapshot } from '../types';
import type { CycleEffects } from './effects';

/** The model's own candles for the features of a cycle on another timeframe (a second fetchMarketData). */
export const MODEL_CANDLES_PATCH = 'model-timeframe-candles';

/**
 * How many model candles the newest one served may lag the last one closed at the decision: a missing hour in the
 * data is tolerated, a market whose model candles stopped (a replay's 1h file that ends earlier than its 4h one) is
 * refused rather than read as if it were current.
 */
export const MODEL_CANDLES_MAX_LAG = 2;

/** Whether a cycle on this timeframe reads the model's candles apart from its own. */
export const needsModelCandles = (timeframe: string): boolean => timeframe !== MODEL_TIMEFRAME;

/**
 * The computeFeatures input at the cycle's decision time: the model's candles of the symbols traded this cycle, and
 * of the reference market (BTC/USDT, fetched last as in the cycle's own fetch), closed by the close of the newest
 * candle the cycle fetched (`cursor`, the cycle's market time).
 */
export async function modelCandlesAt(
  fx: CycleEffects, config: PortfolioConfig, traded: readonly MarketSnapshot[], cursor: MarketCursor,
): Promise<{ snapshots: MarketSnapshot[]; reference?: MarketSnapshot }> {
  if (traded.length === 0) return { snapshots: [] };
  if (cursor.time === null) throw new Error(`no market time to read the model's ${MODEL_TIMEFRAME} candles at`);
  const symbols = traded.map((s) => s.symbol);
  if (!symbols.includes(REFERENCE_SYMBOL)) symbols.push(REFERENCE_SYMBOL);
  const closedBy = cursor.time + timeframeToMs(config.timeframe);
  const data = await fx.fetchMarketData({
    market: config.market, symbols, timeframe: MODEL_TIMEFRAME, limit: MODEL_CANDLES, cursor, closedBy, baseTimeframe: config.timeframe,
  });
  const due = lastClosedOpen(closedBy, MODEL_TIMEFRAME_MS);
  for (const s of data.snapshots) {
    const newest = s.candles[s.candles.length - 1]?.[0];
    if (newest !== undefined && newest < due - MODEL_CANDLES_MAX_LAG * MODEL_TIMEFRAME_MS) {
      throw new Error(
        `${s.symbol}: the newest ${MODEL_TIMEFRAME} candle opened at ${new Date(newest).toISOString()}, but the one closed at the decision ` +
          `opened at ${new Date(due).toISOString()}: the market's ${MODEL_TIMEFRAME} candles are not current`,
      );
    }
  }
  const tradedNow = new Set(traded.map((s) => s.symbol));
  return {
    snapshots: data.snapshots.filter((s) => tradedNow.has(s.symbol)),
    reference: data.snapshots.find((s) => s.symbol === REFERENCE_SYMBOL),
  };
}
