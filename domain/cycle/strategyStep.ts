/**
 * The strategy engine's turn in a cycle, as the workflow runs it: indicators prepared over the candles the cycle
 * fetched and read at the newest one. Finite-memory indicators make this equal to the backtester's reading of
 * columns prepared once over all of history (tests/unit/strategies), so both decide alike.
 */
import { prepareMarket, proposeAt, type PortfolioView, type StrategyConfig, type StrategyOutcome } from '../strategies';
import type { MarketSnapshot, Signal } from '../types';

export interface ProposeStrategiesInput {
  snapshots: MarketSnapshot[];
  timeframe: string;
  /** Open time of the decision candle: the newest closed candle of the cycle. */
  time: number;
  portfolio: PortfolioView;
  config: StrategyConfig;
  signals: Record<string, Signal>;
}

export function proposeFromSnapshots(input: ProposeStrategiesInput): StrategyOutcome {
  const market = prepareMarket(Object.fromEntries(input.snapshots.map((s) => [s.symbol, s.candles])), input.timeframe, input.config);
  return proposeAt(market, input.time, input.portfolio, input.config, input.signals);
}

/** The newest candle any traded symbol has: the time the cycle decides at. */
export function decisionTime(snapshots: readonly MarketSnapshot[]): number | null {
  let newest: number | null = null;
  for (const s of snapshots) {
    const last = s.candles[s.candles.length - 1];
    if (last && (newest === null || last[0] > newest)) newest = last[0];
  }
  return newest;
}
