/**
 * The interface every strategy implements. A strategy prepares its indicator columns once per symbol (over any
 * length of history) and then answers, at any base index, whether it would enter or exit there. Both halves are
 * pure; the columns have finite memory, so the answer at index i is the same whatever history came before the
 * warmup window.
 */
import type { TimeframeView } from './bars';
import type { StrategyName } from './config';
import type { Bars, StrategyPosition, StrategyProposal } from './types';

/** Input of a strategy: the symbol's base candles and the higher timeframes resampled from them. */
export interface SymbolMarket {
  symbol: string;
  base: Bars;
  /** Keyed by timeframe ('4h', '1d'); each maps base indices to its newest closed bar. */
  frames: Record<string, TimeframeView>;
}

export type StrategyColumns = Record<string, Float64Array>;

export interface DecisionCosts {
  /** Round-trip cost rate. */
  costRate: number;
  /** Largest confidence edge a setup at full strength may claim. */
  maxEdge: number;
}

/** What a strategy says at one index; the caller adds strategy and symbol, the manager the allocation. */
export type Decision = Omit<StrategyProposal, 'strategy' | 'symbol' | 'allocationCap'>;

export interface Strategy<P> {
  readonly name: StrategyName;
  /** Base candles before the first index at which its columns are valid. */
  warmup(params: P, baseMs: number): number;
  prepare(market: SymbolMarket, params: P): StrategyColumns;
  /** A buy when the setup is there at index i (the caller guarantees no position is held). */
  entry(i: number, columns: StrategyColumns, params: P, market: SymbolMarket, costs: DecisionCosts): Decision | null;
  /** A sell of the held position when its exit rule fires at index i. */
  exit(i: number, columns: StrategyColumns, params: P, market: SymbolMarket, position: StrategyPosition, costs: DecisionCosts): Decision | null;
}
