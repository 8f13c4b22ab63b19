/**
 * The signal model's features and signals for every candle of a backtest, computed once before the run (--ml): the
 * 72 features by the serving definition (domain/features/definition.ts) over each symbol's whole series, and
 * the signals by the inference activity itself (activities/inference.ts, batched). Features have finite memory,
 * so a row computed over the whole series equals the row a cycle computes over its last candles (the features'
 * training = serving test checks this); the cycle then looks its row up instead of recomputing it.
 *
 * The features are defined on 1h candles. A backtest on another timeframe computes them on the model's 1h series
 * as the replay market serves it to a cycle (activities/market/replaySource.ts replaySeriesAt): the backtest's own
 * series aggregated into hours when it is shorter (5m: twelve candles an hour, by the resampler the features use),
 * the data dir's 1h files when it is longer. Each cycle then reads the row of the last hour closed at its decision
 * (domain/cycle/modelCandles.ts), which ./modelCandles.ts serves as the market would.
 */
import { computeFeatureMatrix, FEATURE_TIMEFRAME, firstNonFinite, MIN_CANDLES, REFERENCE_SYMBOL } from '../domain/features/definition';
import { inferSignals } from '../activities/inference';
import { aggregatedSeries, loadReplaySeries } from '../activities/market/replaySource';
import { indexAfter } from '../domain/seriesWindow';
import { aggregates, lastClosedOpen, MODEL_TIMEFRAME_MS } from '../domain/modelMarket';
import type { Candle, FeatureVector, Signal } from '../domain/types';
import { BacktestInputError, type BacktestData } from './data';
import type { PrecomputedSignals } from './effects';

const DAY_MS = 86_400_000;
/** History before the range the features are computed over: 15 days (MIN_CANDLES hours) and a day of margin. */
const HISTORY_DAYS = Math.ceil(MIN_CANDLES / 24) + 1;

/** Rows per session.run: large enough to amortise the call, small enough to keep the input tensor modest. */
const INFERENCE_BATCH = 4096;

/** The features activity's refusal of a short history (activities/features/index.ts), word for word. */
const insufficientHistory = (symbol: string, got: number) =>
  new Error(`${symbol}: got ${got} candles, features need at least ${MIN_CANDLES} (14 closed daily bars plus the current day)`);

/**
 * Each symbol's (and the reference market's) model candles, for a backtest on another timeframe than the model's:
 * the series a replay market serves for `timeframe: 1h, baseTimeframe: <the backtest's>` (replaySeriesAt).
 */
async function modelSeriesOf(data: BacktestData): Promise<Record<string, Candle[]>> {
  const symbols = data.symbols.includes(REFERENCE_SYMBOL) ? data.symbols : [...data.symbols, REFERENCE_SYMBOL];
  const shorter = aggregates(data.timeframeMs, MODEL_TIMEFRAME_MS);
  const out: Record<string, Candle[]> = {};
  for (const symbol of symbols) {
    try {
      const own = data.series[symbol] ?? (shorter ? await loadReplaySeries(data.dataDir, symbol, data.timeframe) : undefined);
      out[symbol] = shorter ? aggregatedSeries(own!, data.timeframeMs, MODEL_TIMEFRAME_MS) : await loadReplaySeries(data.dataDir, symbol, FEATURE_TIMEFRAME);
    } catch (err) {
      const what = symbol === REFERENCE_SYMBOL && !data.symbols.includes(symbol) ? `the cross-asset features need ${REFERENCE_SYMBOL}` : `${symbol}'s ${FEATURE_TIMEFRAME} candles`;
      throw new BacktestInputError(`--ml: ${what}: ${(err as Error).message}`);
    }
  }
  return out;
}

export async function precomputeModelSignals(data: BacktestData): Promise<PrecomputedSignals> {
  const own = data.timeframe === FEATURE_TIMEFRAME;
  const series = own ? data.series : await modelSeriesOf(data);
  let reference = series[REFERENCE_SYMBOL];
  if (!reference) {
    try {
      reference = await loadReplaySeries(data.dataDir, REFERENCE_SYMBOL, FEATURE_TIMEFRAME);
    } catch (err) {
      throw new BacktestInputError(`--ml: the cross-asset features need ${REFERENCE_SYMBOL}: ${(err as Error).message}`);
    }
  }
  const first = data.timeline[0] ?? data.from;
  const last = data.timeline[data.timeline.length - 1] ?? data.from;
  const features = new Map<string, Map<number, FeatureVector | Error>>();
  const signals = new Map<string, Map<number, Signal>>();
  const pending: FeatureVector[] = [];
  // Features have finite memory (MIN_CANDLES hours, the 14 daily bars included): the rows of the range computed over
  // the history from a day boundary 16 days before it are the rows computed over the whole file, for a fraction of
  // the work on a short backtest.
  const since = Math.floor(first / DAY_MS) * DAY_MS - HISTORY_DAYS * DAY_MS;
  const fromSince = (candles: Candle[]) => candles.slice(indexAfter(candles, since - 1));
  const referenceRows = fromSince(reference);
  for (const symbol of data.symbols) {
    const candles = fromSince(series[symbol]);
    const matrix = computeFeatureMatrix(candles, symbol === REFERENCE_SYMBOL ? 'self' : referenceRows);
    const rows = new Map<number, FeatureVector | Error>();
    // On 1h, the rows of the traded candles; otherwise the hours the cycles' decisions read: for each, the newest
    // hour closed at its close (an earlier one when the data lacks that hour).
    const [start, end] = own
      ? [indexAfter(candles, data.from - 1), indexAfter(candles, data.to - 1)]
      : [Math.max(0, indexAfter(candles, lastClosedOpen(first + data.timeframeMs, MODEL_TIMEFRAME_MS)) - 1), indexAfter(candles, lastClosedOpen(last + data.timeframeMs, MODEL_TIMEFRAME_MS))];
    for (let i = start; i < end; i++) {
      const values = matrix.rows[i];
      const bad = firstNonFinite(values);
      const [time, , , , close] = candles[i];
      if (!own && i + 1 < MIN_CANDLES) {
        // A cycle's window of model candles ends here and holds i + 1 of them: the activity refuses it.
        rows.set(time, insufficientHistory(symbol, i + 1));
        continue;
      }
      const gap = matrix.unavailable.get(i);
      if (gap) {
        rows.set(time, new Error(`${symbol}: features unavailable on the newest candle (${new Date(time).toISOString()}): ${gap}`));
        continue;
      }
      if (bad >= 0) {
        // The message the features activity gives for the same row, so the cycle records the same reason.
        rows.set(time, new Error(`${symbol}: feature ${matrix.names[bad]} (position ${bad}) is ${values[bad]} on the newest candle; its window is not covered by the candles given or the market data is degenerate`));
        continue;
      }
      const vector: FeatureVector = { symbol, asOf: time, close, names: matrix.names, values };
      rows.set(time, vector);
      pending.push(vector);
    }
    features.set(symbol, rows);
    signals.set(symbol, new Map());
  }
  for (let i = 0; i < pending.length; i += INFERENCE_BATCH) {
    for (const s of await inferSignals({ features: pending.slice(i, i + INFERENCE_BATCH) })) signals.get(s.symbol)!.set(s.asOf, s);
  }
  return {
    features: (symbol, time) => features.get(symbol)?.get(time) ?? new Error(`${symbol}: no feature row for ${new Date(time).toISOString()}`),
    signal: (symbol, time) => signals.get(symbol)?.get(time),
    ...(own ? {} : { modelSeries: series }),
  };
}
