/**
 * One trading cycle, visible as its own workflow. The cycle's logic is domain/cycle/runCycle.ts, shared with the
 * backtester; this file gives it its effects as Temporal activities, each on its own task queue with retries.
 */
import { log, patched, workflowInfo } from '@temporalio/workflow';
import { describeFailure } from '../domain/failures';
import { runCycle, type CycleEffects, type CycleInput, type CycleOutcome } from '../domain/cycle';
import { proposeFromSnapshots } from '../domain/cycle/strategyStep';
import { workflowNow } from './workflowClock';
import { execution, features, inference, llmFor, market, monitoring, recorder, risk } from './activityProxies';
import { tradingCycleV1 } from './legacy/cycleV1';
import type { PatchId } from './patches';

/** Marks histories made by this version of the cycle; older ones replay through tradingCycleV1. */
export const RISK_ENGINE_PATCH: PatchId = 'risk-engine-v2';

export type { CycleInput, CycleOutcome } from '../domain/cycle';
export type { CycleTrade } from '../domain/bookOrder';

export { describeFailure } from '../domain/failures';

function activityEffects(): CycleEffects {
  return {
    cycleId: workflowInfo().workflowId,
    now: workflowNow,
    patched,
    warn: (message, attributes) => log.warn(message, attributes),
    describeFailure,
    // Pure code, run in the workflow itself: its inputs are the activities' results already in history.
    proposeStrategies: proposeFromSnapshots,
    fetchMarketData: market.fetchMarketData,
    reconcileAccount: execution.reconcileAccount,
    computeFeatures: features.computeFeatures,
    inferSignals: inference.inferSignals,
    validateTrades: (input) => llmFor(input.proposals.length, input.policy.timeoutMs).validateTrades(input),
    assessTradeRisk: risk.assessTradeRisk,
    placeOrder: execution.placeOrder,
    pollOrder: execution.pollOrder,
    cancelOrder: execution.cancelOrder,
    placeProtectiveStop: execution.placeProtectiveStop,
    recordCycle: recorder.recordCycle,
    scoreMatureSignals: monitoring.scoreMatureSignals,
  };
}

export async function tradingCycleWorkflow(input: CycleInput): Promise<CycleOutcome> {
  if (!patched(RISK_ENGINE_PATCH)) return tradingCycleV1(input);
  return runCycle(input, activityEffects());
}
