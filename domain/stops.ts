/**
 * When a protective stop fires, and at what price. One pure rule for the paper broker's resting stops and for the
 * portfolio workflow's emulated stops (exchanges without native stop orders), so a stop behaves the same in paper
 * and live.
 */
import type { Candle, Side } from './types';

export interface StopSpec {
  /** `sell` protects a long position (fires when the price falls), `buy` a short one (fires when it rises). */
  side: Side;
  triggerPrice: number;
}

export type StopCheck = { triggered: false } | { triggered: true; price: number; timestamp: number };

/**
 * Checks one candle. A sell stop fires when the candle trades at or below the trigger; if the candle already opened
 * beyond the trigger (a gap), the stop can only get the open, not the trigger, which is what exchanges do too.
 * The returned price is before slippage and fees.
 */
export function stopTriggered(stop: StopSpec, candle: Candle): StopCheck {
  const [timestamp, open, high, low] = candle;
  if (!(stop.triggerPrice > 0) || !Number.isFinite(stop.triggerPrice)) {
    throw new Error(`stop trigger price must be a positive number, got ${stop.triggerPrice}`);
  }
  if (stop.side === 'sell') {
    if (open <= stop.triggerPrice) return { triggered: true, price: open, timestamp };
    if (low <= stop.triggerPrice) return { triggered: true, price: stop.triggerPrice, timestamp };
    return { triggered: false };
  }
  if (open >= stop.triggerPrice) return { triggered: true, price: open, timestamp };
  if (high >= stop.triggerPrice) return { triggered: true, price: stop.triggerPrice, timestamp };
  return { triggered: false };
}

/** The first candle (oldest first) that fires the stop, or not triggered. */
export function firstStopTrigger(stop: StopSpec, candles: readonly Candle[]): StopCheck {
  for (const candle of candles) {
    const check = stopTriggered(stop, candle);
    if (check.triggered) return check;
  }
  return { triggered: false };
}
