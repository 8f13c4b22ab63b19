/** The workflow bundle's entry point: only deterministic code is reachable from here. */
export { liquidationWorkflow } from './liquidation';
export { portfolioWorkflow } from './portfolio';
export { tradingCycleWorkflow } from './tradingCycle';
export { retrainingWorkflow } from './retraining';
export { notifierWorkflow } from './notifier';
