/**
 * The contracts between the trading core and the outside world, defined here in the domain as nautilus defines its
 * ExecutionClient in the core: the cycle (domain/cycle/effects.ts) is written against them, the activities implement
 * them (each activity module checks itself with `satisfies`), and the backtester implements them in process. Inputs
 * and results are plain JSON: in the workflow they are written into Temporal history.
 */
import type { ExecutionPort } from './execution';
import type { LlmPort } from './llm';
import type { MarketDataPort } from './market';
import type { MonitoringPort, RecordPort } from './records';
import type { RiskPort } from './risk';
import type { FeaturePort, InferencePort } from './signals';

export type * from './execution';
export type * from './llm';
export type * from './market';
export type * from './records';
export type * from './risk';
export type * from './signals';

/** Everything a trading cycle (and a liquidation) asks of the outside world. */
export type CycleActivities = MarketDataPort & ExecutionPort & FeaturePort & InferencePort & LlmPort & RiskPort & RecordPort & MonitoringPort;
