/**
 * Labels: what the model learns to predict. Used by scripts/build-features.ts (training) and by
 * scoreMatureSignals (live monitoring), so a live signal is scored against the very definition it was
 * trained on.
 *
 * Label = direction of the close-to-close return over the next `horizon` candles. A move smaller than the
 * threshold is `flat`: with a 0.1% taker fee paid on entry and on exit (0.2%) plus ~0.2% for slippage and
 * spread, a smaller move cannot pay for the round trip, so calling it `up` or `down` would teach the model to
 * chase moves that lose money after costs.
 */
import type { Direction } from '../../domain/types';

export const DEFAULT_HORIZON = 4;
export const DEFAULT_FEE_RATE = 0.001;
export const DEFAULT_COST_MARGIN = 0.002;
export const DEFAULT_THRESHOLD = 2 * DEFAULT_FEE_RATE + DEFAULT_COST_MARGIN;

/** Class order of the model's probability output; index = class id used in training. */
export const CLASSES: readonly Direction[] = ['down', 'flat', 'up'];

/** The label definition in words, copied into the training meta and every model manifest. */
export function labelDefinition(horizon: number, threshold: number, timeframe: string): string {
  return (
    `forward_return = close[t+${horizon}] / close[t] - 1 (close to close, ${horizon} x ${timeframe}); ` +
    `up if > ${threshold}, down if < -${threshold}, else flat. Rows whose horizon crosses a data gap are dropped.`
  );
}

export function labelForReturn(forwardReturn: number, threshold: number): Direction {
  if (!Number.isFinite(forwardReturn)) throw new Error(`forward return must be finite, got ${forwardReturn}`);
  if (forwardReturn > threshold) return 'up';
  if (forwardReturn < -threshold) return 'down';
  return 'flat';
}

/**
 * close[i + horizon] / close[i] - 1 for each candle, NaN where the horizon runs past the data or across a gap
 * (missing candles would make the horizon longer than it claims to be).
 */
export function forwardReturns(
  timestamps: ReadonlyArray<number>,
  closes: ReadonlyArray<number>,
  horizon: number,
  candleMs: number,
): number[] {
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`horizon must be a positive integer, got ${horizon}`);
  if (timestamps.length !== closes.length) {
    throw new Error(`timestamps (${timestamps.length}) and closes (${closes.length}) must have the same length`);
  }
  return closes.map((c, i) => {
    const j = i + horizon;
    if (j >= closes.length || timestamps[j] - timestamps[i] !== horizon * candleMs) return NaN;
    return closes[j] / c - 1;
  });
}
