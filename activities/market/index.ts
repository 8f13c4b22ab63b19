/**
 * Market-data activities (task queue `market-data`): candles and next prices from live, replay or sim markets.
 */
import { ApplicationFailure } from '@temporalio/common';
import { timeframeToMs } from '../../domain/candles';
import type { FetchMarketDataInput, FetchNextPriceInput, MarketDataPort, NextPrice } from '../../domain/contracts/market';
import type { Candle, MarketCursor, MarketDataResult, MarketSnapshot } from '../../domain/types';
import { assertValidCandles } from './candleChecks';
import { fetchLiveCandles, fetchLivePrice, probeLive } from './ccxtSource';
import { parseMarketSpec } from './marketSpec';
import { probeReplayDir, replayClosedCandles, replayMarketData, replayNextPrice } from './replaySource';
import { simClosedCandles, simMarketData, simNextPrice } from './simMarket';
import { failure } from '../../domain/failures';

export type { FetchMarketDataInput, FetchNextPriceInput, NextPrice } from '../../domain/contracts/market';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

function invalidInput(message: string): ApplicationFailure {
  return failure('InvalidInput', message);
}

function timeframeMs(timeframe: string): number {
  try {
    return timeframeToMs(timeframe);
  } catch (err) {
    throw failure('InvalidTimeframe', (err as Error).message);
  }
}

function checkCursor(cursor: MarketCursor | undefined): MarketCursor {
  if (!cursor || (cursor.time !== null && !Number.isFinite(cursor.time))) {
    throw invalidInput(`cursor must be { time: number | null }, got ${JSON.stringify(cursor)}`);
  }
  return cursor;
}

/**
 * Candles for every symbol, newest closed candle last. Replay and sim advance one candle per call from the cursor;
 * live ignores the cursor and returns the latest closed candles. With `closedBy`, the candles closed at that time,
 * and nothing advances.
 */
export async function fetchMarketData(input: FetchMarketDataInput): Promise<MarketDataResult> {
  const { market, symbols, timeframe, limit } = input;
  const source = parseMarketSpec(market);
  if (!Array.isArray(symbols) || symbols.length === 0) throw invalidInput('symbols must be a non-empty list');
  if (!Number.isInteger(limit) || limit < 1) throw invalidInput(`limit must be a positive integer, got ${limit}`);
  const tfMs = timeframeMs(timeframe);
  const cursor = checkCursor(input.cursor);

  let windows: Candle[][];
  let nextCursor: MarketCursor;
  let exhausted = false;
  if (input.closedBy !== undefined) {
    const { closedBy, baseTimeframe } = input;
    if (typeof closedBy !== 'number' || !Number.isFinite(closedBy)) throw invalidInput(`closedBy must be a time in ms, got ${JSON.stringify(closedBy)}`);
    const baseMs = baseTimeframe === undefined ? undefined : timeframeMs(baseTimeframe);
    if (source.kind === 'live') {
      windows = await Promise.all(symbols.map((s) => fetchLiveCandles(source.exchangeId, s, timeframe, tfMs, limit, Date.now, closedBy)));
    } else if (source.kind === 'replay') {
      windows = await replayClosedCandles(source.dir, symbols, timeframe, limit, closedBy, baseTimeframe);
    } else {
      windows = simClosedCandles(source.seed, symbols, timeframe, tfMs, limit, closedBy, baseTimeframe, baseMs);
    }
    nextCursor = cursor;
  } else if (source.kind === 'live') {
    windows = await Promise.all(symbols.map((s) => fetchLiveCandles(source.exchangeId, s, timeframe, tfMs, limit)));
    const first = windows[0];
    nextCursor = { time: first.length > 0 ? first[first.length - 1][0] : cursor.time };
  } else {
    const result =
      source.kind === 'replay'
        ? await replayMarketData(source.dir, symbols, timeframe, limit, cursor)
        : simMarketData(source.seed, symbols, timeframe, tfMs, limit, cursor);
    ({ windows, nextCursor, exhausted } = result);
  }

  const snapshots: MarketSnapshot[] = windows.map((candles, i) => {
    assertValidCandles(symbols[i], candles, `${market} ${timeframe}`);
    return { symbol: symbols[i], timeframe, candles, source: market };
  });
  return { snapshots, nextCursor, exhausted };
}

/**
 * The price a market order placed now would trade at, for the paper broker: the open of the candle after the
 * cursor for replay and sim, the last traded price for live.
 */
/**
 * The next tradable price after the cursor: the next candle's open (replay, sim) with that candle's volume, so the
 * paper broker can tell an outage candle (no trades) from a market; a live market's ticker (no volume: it trades).
 */
export async function fetchNextPrice(input: FetchNextPriceInput): Promise<NextPrice> {
  const { market, symbol, timeframe } = input;
  const source = parseMarketSpec(market);
  const tfMs = timeframeMs(timeframe);
  if (source.kind === 'live') return fetchLivePrice(source.exchangeId, symbol);
  const { time } = checkCursor(input.cursor);
  if (time === null) {
    throw invalidInput(`fetchNextPrice on ${market} needs the cursor of a fetched cycle, got time null (${symbol})`);
  }
  return source.kind === 'replay'
    ? replayNextPrice(source.dir, symbol, timeframe, tfMs, time)
    : simNextPrice(source.seed, symbol, timeframe, tfMs, time);
}

/** Whether the market can serve data right now, with the reason when not. Never throws. */
export async function probeMarket(market: string, timeoutMs = 5000): Promise<ProbeResult> {
  try {
    const source = parseMarketSpec(market);
    if (source.kind === 'sim') return { ok: true };
    if (source.kind === 'live') return await probeLive(source.exchangeId, timeoutMs);
    return await probeReplayDir(source.dir);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

// The market-data port of the cycle's contracts (domain/contracts): the compiler holds this activity to it.
void ({ fetchMarketData } satisfies MarketDataPort);
