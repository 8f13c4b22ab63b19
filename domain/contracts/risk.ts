/** The risk port: every proposal assessed and sized against the limits, one decision each with the rules that fired. */
import type { AssessContext } from '../risk';
import type { LlmVerdict, RiskDecision, TradeProposal } from '../types';

export interface AssessTradeRiskInput {
  proposals: TradeProposal[];
  /** Verdicts by symbol (one intent per symbol). */
  verdicts: Record<string, LlmVerdict>;
  context: AssessContext;
}

export interface RiskPort {
  assessTradeRisk(input: AssessTradeRiskInput): Promise<RiskDecision[]>;
}
