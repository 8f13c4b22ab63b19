/** The strategy engine: pure and deterministic, shared by the trading cycle workflow and the backtester. */
export * from './types';
export {
  STRATEGY_NAMES, REGIMES, STRATEGY_TIMEFRAMES, strategyConfigSchema, parseStrategyConfig, describeStrategyConfigErrors,
  enabledStrategies, smaCrossOnlyConfig, strategySelection, type StrategyConfig, type StrategyConfigInput, type StrategyName, type Regime,
} from './config';
export { candlesToBars, resampleBars, atLastClosed, indexAtTime, candlesPerBar, type TimeframeView } from './bars';
export type { Strategy, SymbolMarket, Decision, DecisionCosts, StrategyColumns } from './strategy';
export { STRATEGIES } from './registry';
export { BREAKER_STATES, type BreakerState, type RegimeReading } from './regime';
export { compareProposals, ladderAveragePrice, type ConsideredProposal } from './manager';
export {
  prepareMarket, prepareSymbol, proposeAt, warmupCandles, type PreparedMarket, type PreparedSymbol, type PortfolioView,
  type StrategyOutcome,
} from './market';
