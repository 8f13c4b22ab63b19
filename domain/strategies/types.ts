/**
 * The contract between trading strategies, the strategy manager, the risk engine and the backtester. Strategies
 * are pure and deterministic: the portfolio's trading cycle (a Temporal workflow) and the backtester call the very
 * same code, so a backtest trades as the live system would.
 *
 * Speed and sameness come from one rule: every indicator has FINITE memory (its value at index i depends only on
 * the candles of a fixed window ending at i, summed in a fixed order). The backtester prepares indicator columns
 * once over years of candles and decides at every index; the live cycle prepares them over its last few hundred
 * candles and decides at the newest. Both compute the very same float64 values, hence the same decisions.
 */
import type { OhlcvColumns } from '../indicators/ohlcv';
import type { Side } from '../types';

/** Candles of one timeframe as columns, oldest first. `time` is each candle's open time, ms UTC. */
export interface Bars extends OhlcvColumns {
  timeframe: string;
  /** Candle length in ms. */
  ms: number;
}

/** What a strategy knows about the symbol's current position. */
export interface StrategyPosition {
  quantity: number;
  avgPrice: number;
  /** ms UTC. */
  openedAt?: number;
  /** The strategy that opened it, when one did. */
  strategy?: string;
  /** Set on dust (domain/dust.ts): no position for the strategies, so an entry may absorb it. */
  dust?: unknown;
}

/** One limit order of an entry ladder (the DCA grid): its price and its share of the entry's notional. */
export interface LadderRung {
  price: number;
  weight: number;
}

/**
 * A strategy's proposal for one symbol at one candle. Levels are absolute prices. The risk engine sizes it;
 * the strategy only says what, why, and how sure.
 */
export interface StrategyProposal {
  strategy: string;
  symbol: string;
  side: Side;
  /** Estimated probability that the trade reaches its target before its stop, 0..1. */
  confidence: number;
  /** Price the proposal was made at (the decision candle's close). */
  entry: number;
  stop?: number;
  takeProfit?: number;
  /** Trailing stop distance as a fraction of the high-water mark (0.07 = 7%). */
  trailingPct?: number;
  /** Expected return of the trade as a fraction of its notional, after round-trip costs. */
  expectedValue: number;
  /** Human-readable why, persisted with the decision. */
  reason: string;
  /** Entry as resting limit orders instead of one market order (DCA grid). Weights sum to 1. */
  ladder?: LadderRung[];
  /** Set by the manager: the most quote currency this strategy may still commit (its capital allocation). */
  allocationCap?: number;
}
