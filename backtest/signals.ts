/**
 * The signal model's features and signals for every candle of a backtest, computed once before the run (--ml): the
 * 72 features by the serving definition (activities/features/definition.ts) over each symbol's whole series, and
 * the signals by the inference activity itself (activities/inference.ts, batched). Features have finite memory,
 * so a row computed over the whole series equals the row a cycle computes over its last candles (the features'
 * training = serving test checks this); the cycle then looks its row up instead of recomputing it.
 */
import { computeFeatureMatrix, FEATURE_TIMEFRAME, firstNonFinite, REFERENCE_SYMBOL } from '../activities/features/definition';
import { inferSignals } from '../activities/inference';
import { loadReplaySeries } from '../activities/market/replaySource';
import { indexAfter } from '../activities/market/seriesWindow';
import type { FeatureVector, Signal } from '../domain/types';
import { BacktestInputError, type BacktestData } from './data';
import type { PrecomputedSignals } from './effects';

/** Rows per session.run: large enough to amortise the call, small enough to keep the input tensor modest. */
const INFERENCE_BATCH = 4096;

export async function precomputeModelSignals(data: BacktestData): Promise<PrecomputedSignals> {
  if (data.timeframe !== FEATURE_TIMEFRAME) {
    throw new BacktestInputError(`--ml: the model's features are defined on ${FEATURE_TIMEFRAME} candles, the backtest uses ${data.timeframe}`);
  }
  let reference = data.series[REFERENCE_SYMBOL];
  if (!reference) {
    try {
      reference = await loadReplaySeries(data.dataDir, REFERENCE_SYMBOL, FEATURE_TIMEFRAME);
    } catch (err) {
      throw new BacktestInputError(`--ml: the cross-asset features need ${REFERENCE_SYMBOL}: ${(err as Error).message}`);
    }
  }
  const features = new Map<string, Map<number, FeatureVector | Error>>();
  const signals = new Map<string, Map<number, Signal>>();
  const pending: FeatureVector[] = [];
  for (const symbol of data.symbols) {
    const candles = data.series[symbol];
    const matrix = computeFeatureMatrix(candles, symbol === REFERENCE_SYMBOL ? 'self' : reference);
    const rows = new Map<number, FeatureVector | Error>();
    for (let i = indexAfter(candles, data.from - 1), end = indexAfter(candles, data.to - 1); i < end; i++) {
      const values = matrix.rows[i];
      const bad = firstNonFinite(values);
      const [time, , , , close] = candles[i];
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
  };
}
