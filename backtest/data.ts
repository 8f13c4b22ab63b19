/**
 * Loading and checking the candles of a backtest, kept apart from the engine so a bench can time the engine alone.
 * Candles come from the same CSV files and the same loader as the `replay:<dir>` market (activities/market), so a
 * backtest and a replayed portfolio read identical numbers.
 */
import { SYMBOL_PATTERN, TIMEFRAMES } from '../domain/config';
import { timeframeToMs } from '../domain/candles';
import type { Candle } from '../domain/types';
import { loadReplaySeries } from '../activities/market/replaySource';
import { indexAfter } from '../domain/seriesWindow';

/** Bad backtest input (arguments, files, data): the message names what is wrong. */
export class BacktestInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BacktestInputError';
  }
}

export interface DataRequest {
  dataDir: string;
  symbols: string[];
  timeframe: string;
  /** First candle open time traded, ms UTC (inclusive). */
  from: number;
  /** End of the backtest, ms UTC (exclusive): candles opening at or after it are not traded. */
  to: number;
}

export interface BacktestData extends DataRequest {
  timeframeMs: number;
  /** Each symbol's whole file, oldest first: candles before `from` are the first cycles' history. */
  series: Record<string, Candle[]>;
  /** Open times of the traded candles: the union over symbols within [from, to), ascending. */
  timeline: number[];
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A date or date-time in UTC: `2023-01-01`, `2023-01-01T12:00:00Z`, or ms since the epoch. A date alone as the END
 * of a range means the end of that day, so `--from 2023-01-01 --to 2023-06-30` covers both named days.
 */
export function parseTime(value: string | number, label: string, endOfDay = false): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new BacktestInputError(`${label}: ${value} is not a time`);
    return value;
  }
  const text = value.trim();
  let ms: number;
  if (/^\d{10,}$/.test(text)) ms = Number(text);
  else if (DATE_ONLY.test(text)) ms = Date.parse(`${text}T00:00:00Z`) + (endOfDay ? 86_400_000 : 0);
  else ms = /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? Date.parse(text) : Date.parse(`${text}Z`);
  if (!Number.isFinite(ms) || (DATE_ONLY.test(text) && new Date(Date.parse(`${text}T00:00:00Z`)).toISOString().slice(0, 10) !== text)) {
    throw new BacktestInputError(`${label}: '${value}' is not a date (use YYYY-MM-DD, an ISO date-time in UTC, or ms since the epoch)`);
  }
  return ms;
}

export function checkRequest(req: DataRequest): void {
  if (!req.dataDir) throw new BacktestInputError('data: a directory of CSV candles is required (--data <dir>)');
  if (!Array.isArray(req.symbols) || req.symbols.length === 0) throw new BacktestInputError('symbols: at least one symbol is required, e.g. BTC/USDT');
  for (const s of req.symbols) {
    if (!SYMBOL_PATTERN.test(s)) throw new BacktestInputError(`symbols: '${s}' is not BASE/QUOTE in capitals, e.g. BTC/USDT`);
  }
  if (new Set(req.symbols).size !== req.symbols.length) throw new BacktestInputError(`symbols: ${req.symbols.join(',')} repeats a symbol`);
  if (!(TIMEFRAMES as readonly string[]).includes(req.timeframe)) {
    throw new BacktestInputError(`timeframe: '${req.timeframe}' is not one of ${TIMEFRAMES.join(', ')}`);
  }
  if (!Number.isFinite(req.from) || !Number.isFinite(req.to)) throw new BacktestInputError('from/to: both must be times');
  if (req.from >= req.to) {
    throw new BacktestInputError(`from ${new Date(req.from).toISOString()} must be before to ${new Date(req.to).toISOString()}`);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function loadBacktestData(req: DataRequest): Promise<BacktestData> {
  checkRequest(req);
  const series: Record<string, Candle[]> = {};
  for (const symbol of req.symbols) {
    try {
      series[symbol] = await loadReplaySeries(req.dataDir, symbol, req.timeframe);
    } catch (err) {
      throw new BacktestInputError(`${symbol}: ${(err as Error).message}`);
    }
  }
  return prepareData(req, series);
}

/** Checks the range against the loaded series and builds the timeline; series are used as they are, not copied. */
export function prepareData(req: DataRequest, series: Record<string, Candle[]>): BacktestData {
  checkRequest(req);
  const times = new Set<number>();
  for (const symbol of req.symbols) {
    const candles = series[symbol];
    if (!candles || candles.length === 0) throw new BacktestInputError(`${symbol}: no ${req.timeframe} candles in ${req.dataDir}`);
    const first = indexAfter(candles, req.from - 1);
    const end = indexAfter(candles, req.to - 1);
    if (first >= end) {
      throw new BacktestInputError(
        `${symbol}: no ${req.timeframe} candles between ${iso(req.from)} and ${iso(req.to)} (its file covers ${iso(candles[0][0])} to ${iso(candles[candles.length - 1][0])})`,
      );
    }
    for (let i = first; i < end; i++) times.add(candles[i][0]);
  }
  const timeline = [...times].sort((a, b) => a - b);
  return { ...req, timeframeMs: timeframeToMs(req.timeframe), series, timeline };
}
