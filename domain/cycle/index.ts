export { runCycle, RECONCILE_PATCH, RESTING_ORDERS_PATCH, SIGNAL_MONITORING_PATCH, STRATEGY_ENGINE_PATCH } from './runCycle';
export { MODEL_CANDLES_PATCH, modelCandlesAt, needsModelCandles } from './modelCandles';
export { proposeFromSnapshots, decisionTime, type ProposeStrategiesInput } from './strategyStep';
export * from './restingOrders';
export type { CycleEffects } from './effects';
export type { CycleInput, CycleOutcome } from './types';
