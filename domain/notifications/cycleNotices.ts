/**
 * What a trading cycle tells its portfolio beyond the book, so the portfolio can derive notifications
 * (./derive.ts): the protective exits that fired, the drift reconciliation corrected, how often the LLM fallback
 * answered. Optional in the cycle's outcome and absent when there is nothing to tell, so cycles that notice
 * nothing keep their earlier result, and the backtester (which runs the same cycle) pays nothing for it.
 */
import type { AssetDrift } from '../reconcile';

export interface ProtectiveExitNotice {
  symbol: string;
  /** stop-loss, trailing-stop or take-profit. */
  rule: string;
  detail: string;
}

export interface CycleNotices {
  protectiveExits?: ProtectiveExitNotice[];
  drifts?: AssetDrift[];
  llm?: { verdicts: number; fallbacks: number };
  /**
   * Filled by the exits work (issue 11) once it records an exit that could not be executed: the derivation reads it
   * as is, and until then infers the same from a fired exit whose position is still held after the cycle.
   */
  exitsNotExecuted?: { symbol: string; rule?: string; reason: string }[];
  /** Filled by the live-safety work (issue 12): orders that may have been applied but whose outcome is unknown. */
  unknownOrderOutcomes?: { clientOrderId: string; symbol: string; side: string; reason: string }[];
  /** Filled by the live-safety work (issue 12): what reconciliation refused to correct on its own. */
  reconciliationAnomalies?: { asset?: string; detail: string }[];
}

/** Adds to the notices being gathered, creating them on first use. */
export function notice(current: CycleNotices | undefined, add: CycleNotices): CycleNotices {
  return { ...current, ...add };
}
