/**
 * `replay:<dir>`: walks CSV candle files one candle per cycle, as if the market were live.
 *
 * Candles of another timeframe, as they stood at a time (`replayClosedCandles`: the model's 1h candles at a 5m
 * cycle's decision time) come from the same path: the walked series aggregated when it is shorter and divides that
 * timeframe (domain/modelMarket.ts), so the model reads the very prices the cycle trades; otherwise the dir's own
 * file of that timeframe.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { parseCandleCsv, timeframeToMs, validateCandles } from '../../domain/candles';
import type { Candle, MarketCursor, MarketDataResult } from '../../domain/types';
import { aggregateCandles, aggregates, lastClosedOpen, MODEL_TIMEFRAME_MS, modelReadyTime } from '../../domain/modelMarket';
import { toInvalidCandles } from './candleChecks';
import { symbolFilePart } from './marketSpec';
import { firstFullWindowTime, indexAfter, nextTimeAfter, windowEndingAt } from '../../domain/seriesWindow';
import { failure } from '../../domain/failures';

interface CachedSeries {
  mtimeMs: number;
  size: number;
  candles: Promise<Candle[]>;
}

// Keyed by path; mtime and size are checked so a file edited while the worker runs is read again.
const seriesCache = new Map<string, CachedSeries>();

const PREFERRED_EXCHANGE = 'binance';

function missing(message: string): ApplicationFailure {
  return failure('ReplayDataMissing', message);
}

/** Picks `<exchange>_<BASE>-<QUOTE>_<tf>.csv`, binance first when several exchanges have the pair. */
export async function findReplayFile(dir: string, symbol: string, timeframe: string): Promise<string> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    throw missing(
      `replay dir ${dir} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}), needed for ${symbol} ${timeframe}`,
    );
  }
  const suffix = `_${symbolFilePart(symbol)}_${timeframe}.csv`;
  const matches = names
    .filter((n) => n.endsWith(suffix) && n.length > suffix.length)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  if (matches.length === 0) {
    throw missing(`replay dir ${dir} has no file *${suffix} for ${symbol} ${timeframe}`);
  }
  return path.join(dir, matches[0]);
}

function rank(fileName: string): number {
  return fileName.startsWith(`${PREFERRED_EXCHANGE}_`) ? 0 : 1;
}

/** The whole validated series of one symbol, parsed once per process (per file version). */
export async function loadReplaySeries(dir: string, symbol: string, timeframe: string): Promise<Candle[]> {
  const file = await findReplayFile(dir, symbol, timeframe);
  const stat = await fs.stat(file);
  const cached = seriesCache.get(file);
  if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.candles;
  const candles = readSeries(file, symbol, timeframe);
  seriesCache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, candles });
  // A failed read must not stick: the next call retries the file (it may have been fixed).
  candles.catch(() => {
    if (seriesCache.get(file)?.candles === candles) seriesCache.delete(file);
  });
  return candles;
}

async function readSeries(file: string, symbol: string, timeframe: string): Promise<Candle[]> {
  const text = await fs.readFile(file, 'utf8');
  let candles: Candle[];
  try {
    candles = parseCandleCsv(text, file);
    validateCandles(symbol, candles);
  } catch (err) {
    throw toInvalidCandles(err, file);
  }
  if (candles.length === 0) throw missing(`replay file ${file} has no candles for ${symbol} ${timeframe}`);
  return candles;
}

export async function replayMarketData(
  dir: string,
  symbols: string[],
  timeframe: string,
  limit: number,
  cursor: MarketCursor,
): Promise<Omit<MarketDataResult, 'snapshots'> & { windows: Candle[][] }> {
  const series = await Promise.all(symbols.map((s) => loadReplaySeries(dir, s, timeframe)));
  if (cursor.time === null) {
    series.forEach((s, i) => {
      if (s.length < limit) {
        throw missing(`replay dir ${dir} has only ${s.length} ${timeframe} candles for ${symbols[i]}, fewer than the ${limit} a cycle needs`);
      }
    });
  }
  const time = cursor.time === null ? firstTime(series, timeframe, limit) : nextTimeAfter(series[0], cursor.time);
  if (time === null) return { windows: [], nextCursor: { time: cursor.time }, exhausted: true };
  // A symbol whose file starts later than the cursor (e.g. added mid-run) gets a shorter window until it catches up.
  const windows = series.map((s, i) => {
    const window = windowEndingAt(s, time, limit);
    if (window.length === 0) {
      throw missing(`replay file for ${symbols[i]} ${timeframe} in ${dir} has no candle at or before ${new Date(time).toISOString()}`);
    }
    return window;
  });
  return { windows, nextCursor: { time }, exhausted: false };
}

/**
 * Where a fresh replay starts: where every symbol has a full window and, on a timeframe that aggregates into the
 * model's, where the model's candles are full too, so the first cycle already gets signals (when the files hold that
 * much; otherwise where the windows are full, and the model's warm-up is recorded as its missing history).
 */
function firstTime(series: ReadonlyArray<readonly Candle[]>, timeframe: string, limit: number): number {
  const full = firstFullWindowTime(series, limit);
  const baseMs = timeframeToMs(timeframe);
  if (!aggregates(baseMs, MODEL_TIMEFRAME_MS)) return full;
  const ready = modelReadyTime(series.map((s) => aggregatedSeries(s, baseMs, MODEL_TIMEFRAME_MS)), baseMs);
  return ready === null ? full : Math.max(full, ready);
}

/**
 * Per loaded series (the loader's cached array, the same object until its file changes), its aggregations by bar
 * length: computed once per process, like the series itself.
 */
const aggregated = new WeakMap<readonly Candle[], Map<number, Candle[]>>();

export function aggregatedSeries(series: readonly Candle[], baseMs: number, barMs: number): Candle[] {
  let byBar = aggregated.get(series);
  if (!byBar) aggregated.set(series, (byBar = new Map()));
  let bars = byBar.get(barMs);
  if (!bars) byBar.set(barMs, (bars = aggregateCandles(series, baseMs, barMs)));
  return bars;
}

/** A symbol's whole series at `timeframe`: the walked `baseTimeframe` series aggregated when it is shorter, else its own file. */
export async function replaySeriesAt(dir: string, symbol: string, timeframe: string, baseTimeframe?: string): Promise<Candle[]> {
  const barMs = timeframeToMs(timeframe);
  const baseMs = baseTimeframe ? timeframeToMs(baseTimeframe) : barMs;
  if (baseTimeframe && aggregates(baseMs, barMs)) return aggregatedSeries(await loadReplaySeries(dir, symbol, baseTimeframe), baseMs, barMs);
  return loadReplaySeries(dir, symbol, timeframe);
}

/** The `limit` newest `timeframe` candles of each symbol closed at `closedBy`; the cursor stays where it is. */
export async function replayClosedCandles(
  dir: string, symbols: string[], timeframe: string, limit: number, closedBy: number, baseTimeframe?: string,
): Promise<Candle[][]> {
  const newest = lastClosedOpen(closedBy, timeframeToMs(timeframe));
  return Promise.all(symbols.map(async (s) => windowEndingAt(await replaySeriesAt(dir, s, timeframe, baseTimeframe), newest, limit)));
}

/** Open of the first candle after the cursor; at the end of the file, the close of the cursor candle. */
export async function replayNextPrice(
  dir: string,
  symbol: string,
  timeframe: string,
  timeframeMs: number,
  cursorTime: number,
): Promise<{ price: number; timestamp: number; volume?: number }> {
  const series = await loadReplaySeries(dir, symbol, timeframe);
  const next = indexAfter(series, cursorTime);
  if (next < series.length) return { price: series[next][1], timestamp: series[next][0], volume: series[next][5] };
  const last = series[next - 1];
  return { price: last[4], timestamp: last[0] + timeframeMs };
}

/** Never throws: whether the dir can be read and holds at least one CSV file. */
export async function probeReplayDir(dir: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    return { ok: false, reason: `replay dir ${dir} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  return names.some((n) => n.endsWith('.csv')) ? { ok: true } : { ok: false, reason: `replay dir ${dir} has no .csv files` };
}
