/**
 * Keeps the portfolio workflow's carried state and history well under Temporal's limits (domain/stateBudget.ts):
 * when to continue as new besides the server's suggestion, and what the carried state may shed to stay small.
 */
import { CONTINUE_AS_NEW_AT_BYTES, jsonBytes } from '../domain/stateBudget';
import type { PortfolioConfig } from '../domain/config';
import type { PortfolioState } from './messages';
import type { PatchId } from './patches';

/** Continues as new before the history passes this (Temporal warns at 10 MB and fails a workflow at 50 MB). */
export const MAX_HISTORY_BYTES = 8 * 1024 * 1024;
/** Continue-as-new on the state's size or the history's bytes. */
export const STATE_SIZE_PATCH: PatchId = 'state-size-guard';

/** Bytes of what continue-as-new carries: the configuration and the state. */
export function carriedBytes(config: PortfolioConfig, state: PortfolioState): number {
  return jsonBytes({ config, state });
}

/** Whether to continue as new now on size: the history's bytes, or a state heavy enough to weigh on every cycle. */
export function sizeCallsForContinueAsNew(historySize: number, config: PortfolioConfig, state: PortfolioState): boolean {
  return historySize > MAX_HISTORY_BYTES || carriedBytes(config, state) > CONTINUE_AS_NEW_AT_BYTES;
}

/** The state to carry: as is, or without what the next cycle recomputes (the risk report) when it is too heavy. */
export function carriedState(config: PortfolioConfig, state: PortfolioState): PortfolioState {
  if (carriedBytes(config, state) <= CONTINUE_AS_NEW_AT_BYTES) return state;
  const { lastRisk: _recomputed, ...rest } = state;
  return rest;
}
