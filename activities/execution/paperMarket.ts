/**
 * Candles for the paper broker, from the portfolio's own market source: resting orders are matched against the
 * candles after they were placed, and slippage needs recent volatility and volume. The paper clock is the market
 * cursor (the newest candle a cycle has seen), so replay and sim orders age with the replay, not the wall clock.
 */
import { timeframeToMs } from '../../domain/candles';
import { CONDITION_WINDOW, marketConditions, type MarketConditions } from '../../domain/paperMatching';
import type { Candle } from '../../domain/types';
import { fetchLiveCandles } from '../market/ccxtSource';
import { parseMarketSpec } from '../market/marketSpec';
import { loadReplaySeries } from '../market/replaySource';
import { indexAfter } from '../../domain/seriesWindow';
import { SIM_EPOCH_MS, simSeries } from '../market/simMarket';
import { failure } from '../../domain/failures';

/** Most candles a live source is asked for at once (exchanges cap a page at 500 to 1000). */
const LIVE_PAGE = 1_000;

function tfMs(timeframe: string): number {
  try {
    return timeframeToMs(timeframe);
  } catch (err) {
    throw failure('InvalidTimeframe', (err as Error).message);
  }
}

/** The series up to and including the candle opening at `untilTime`, as far back as needed to cover `fromTime`. */
async function seriesThrough(market: string, symbol: string, timeframe: string, fromTime: number, untilTime: number): Promise<readonly Candle[]> {
  const source = parseMarketSpec(market);
  const step = tfMs(timeframe);
  if (source.kind === 'replay') return loadReplaySeries(source.dir, symbol, timeframe);
  if (source.kind === 'sim') {
    const count = Math.max(0, Math.floor((untilTime - SIM_EPOCH_MS) / step) + 1);
    return simSeries(source.seed, symbol, timeframe, step, count);
  }
  const needed = Math.min(LIVE_PAGE, Math.max(1, Math.ceil((Date.now() - fromTime) / step) + 1));
  return fetchLiveCandles(source.exchangeId, symbol, timeframe, step, needed);
}

/** Candles opening after `afterTime` and at or before `untilTime`, oldest first. */
export async function candlesBetween(market: string, symbol: string, timeframe: string, afterTime: number, untilTime: number): Promise<Candle[]> {
  if (untilTime <= afterTime) return [];
  const series = await seriesThrough(market, symbol, timeframe, afterTime, untilTime);
  return series.slice(indexAfter(series, afterTime), indexAfter(series, untilTime)).map((c) => [...c] as Candle);
}

/** Volatility and volume of the CONDITION_WINDOW candles up to `time`. */
export async function conditionsAt(market: string, symbol: string, timeframe: string, time: number): Promise<MarketConditions> {
  const from = time - (CONDITION_WINDOW + 1) * tfMs(timeframe);
  const series = await seriesThrough(market, symbol, timeframe, from, time);
  const end = indexAfter(series, time);
  return marketConditions(series.slice(Math.max(0, end - CONDITION_WINDOW - 1), end));
}
