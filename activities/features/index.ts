/**
 * computeFeatures activity: the feature row of each symbol's newest closed candle, computed with the same
 * definition the model was trained on (./indicators).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { FeatureVector, MarketSnapshot } from '../../domain/types';
import { computeFeatureMatrix, firstNonFinite, MIN_CANDLES } from './indicators';

export { FEATURE_NAMES, MIN_CANDLES, computeFeatureMatrix } from './indicators';

export interface ComputeFeaturesInput {
  snapshots: MarketSnapshot[];
}

export async function computeFeatures(input: ComputeFeaturesInput): Promise<FeatureVector[]> {
  if (!input || !Array.isArray(input.snapshots)) {
    throw ApplicationFailure.nonRetryable('computeFeatures expects { snapshots: MarketSnapshot[] }', 'InvalidInput');
  }
  return input.snapshots.map(latestFeatureVector);
}

/** Features of the snapshot's newest candle; more candles than that would be wasted work for a retry too. */
export function latestFeatureVector(snapshot: MarketSnapshot): FeatureVector {
  const { symbol, candles } = snapshot;
  const count = Array.isArray(candles) ? candles.length : 0;
  if (count < MIN_CANDLES) throw insufficientHistory(symbol, count);

  let matrix;
  try {
    matrix = computeFeatureMatrix(candles);
  } catch (err) {
    // Bad candles will be just as bad on a retry.
    throw ApplicationFailure.nonRetryable(`${symbol}: ${(err as Error).message}`, 'InvalidCandles');
  }
  const values = matrix.rows[count - 1];
  const bad = firstNonFinite(values);
  if (bad >= 0) {
    // Enough candles, yet a feature is undefined: e.g. 20 zero-volume candles make the volume ratio 0/0.
    throw ApplicationFailure.nonRetryable(
      `${symbol}: feature ${matrix.names[bad]} (position ${bad}) is ${values[bad]} on the newest candle ` +
        `(${count} candles); the market data is degenerate`,
      'InvalidFeatures',
    );
  }
  const newest = candles[count - 1];
  return { symbol, asOf: newest[0], close: newest[4], names: matrix.names, values };
}

function insufficientHistory(symbol: string, got: number): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${symbol}: got ${got} candles, features need at least ${MIN_CANDLES} (the slowest indicator is SMA 50)`,
    'InsufficientHistory',
  );
}
