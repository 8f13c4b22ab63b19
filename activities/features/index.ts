/**
 * computeFeatures activity: the feature row of each symbol's newest closed candle, computed with the very
 * definition the model was trained on (./definition).
 *
 * Cross-asset features need the reference market (BTC/USDT) over the same hours: pass it as `reference`, or
 * it is taken from `snapshots` when the portfolio trades it. BTC/USDT itself needs no reference.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ComputeFeaturesInput, FeaturePort } from '../../domain/contracts/signals';
import type { FeatureVector, MarketSnapshot } from '../../domain/types';
import { computeFeatureMatrix, FEATURE_TIMEFRAME, firstNonFinite, MIN_CANDLES, REFERENCE_SYMBOL } from '../../domain/features/definition';
import { failure } from '../../domain/failures';

export {
  FEATURE_NAMES, FEATURE_TIMEFRAME, MIN_CANDLES, REFERENCE_SYMBOL, computeFeatureMatrix,
} from '../../domain/features/definition';

export type { ComputeFeaturesInput } from '../../domain/contracts/signals';

export async function computeFeatures(input: ComputeFeaturesInput): Promise<FeatureVector[]> {
  if (!input || !Array.isArray(input.snapshots)) {
    throw failure('InvalidInput', 'computeFeatures expects { snapshots: MarketSnapshot[]; reference?: MarketSnapshot }');
  }
  const reference = input.reference ?? input.snapshots.find((s) => s?.symbol === REFERENCE_SYMBOL);
  if (reference && reference.symbol !== REFERENCE_SYMBOL) {
    throw failure('InvalidInput', `reference must be ${REFERENCE_SYMBOL}, got ${reference.symbol}`);
  }
  return input.snapshots.map((snapshot) => latestFeatureVector(snapshot, reference));
}

/** Features of the snapshot's newest candle; more candles than that would be wasted work for a retry too. */
export function latestFeatureVector(snapshot: MarketSnapshot, reference?: MarketSnapshot): FeatureVector {
  const { symbol, candles, timeframe } = snapshot;
  if (timeframe !== FEATURE_TIMEFRAME) {
    throw failure('UnsupportedTimeframe', `${symbol}: the features and the model are defined on ${FEATURE_TIMEFRAME} candles, got ${timeframe}`);
  }
  const count = Array.isArray(candles) ? candles.length : 0;
  if (count < MIN_CANDLES) throw insufficientHistory(symbol, count);

  const isReference = symbol === REFERENCE_SYMBOL;
  if (!isReference) {
    if (!reference) {
      throw failure('MissingReference', `${symbol}: cross-asset features need ${REFERENCE_SYMBOL} candles over the same hours; pass them as reference`);
    }
    if (reference.timeframe !== timeframe) {
      throw failure('MissingReference', `${symbol}: reference ${REFERENCE_SYMBOL} has ${reference.timeframe} candles, the symbol ${timeframe}`);
    }
  }

  let matrix;
  try {
    matrix = computeFeatureMatrix(candles, isReference ? 'self' : reference!.candles);
  } catch (err) {
    // Bad candles will be just as bad on a retry.
    throw failure('InvalidCandles', `${symbol}: ${(err as Error).message}`);
  }
  const values = matrix.rows[count - 1];
  const gap = matrix.unavailable.get(count - 1);
  if (gap) {
    // A window across an outage is not computed on invented hours: the reason is recorded with the failed stage.
    throw failure('InvalidFeatures', `${symbol}: features unavailable on the newest candle (${new Date(candles[count - 1][0]).toISOString()}): ${gap}`);
  }
  const bad = firstNonFinite(values);
  if (bad >= 0) {
    // Enough candles, yet a feature is undefined: its window is not covered (a gap, a reference that lacks
    // an hour) or the data is degenerate (e.g. 20 zero-volume candles make the volume ratio 0/0).
    throw failure('InvalidFeatures', `${symbol}: feature ${matrix.names[bad]} (position ${bad}) is ${values[bad]} on the newest candle ` +
        `(${count} candles${isReference ? '' : `, reference ${reference!.candles.length}`}); ` +
        'its window is not covered by the candles given or the market data is degenerate');
  }
  const newest = candles[count - 1];
  return { symbol, asOf: newest[0], close: newest[4], names: matrix.names, values };
}

function insufficientHistory(symbol: string, got: number): ApplicationFailure {
  return failure('InsufficientHistory', `${symbol}: got ${got} candles, features need at least ${MIN_CANDLES} (14 closed daily bars plus the current day)`);
}

// The features port of the cycle's contracts (domain/contracts): the compiler holds this activity to it.
void ({ computeFeatures } satisfies FeaturePort);
