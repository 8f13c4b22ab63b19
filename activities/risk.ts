/** The risk activity: sizing and portfolio limits, run on the CPU queue with the rules from domain/risk. */
import { assessRisk, type SizingContext } from '../domain/risk';
import type { LlmVerdict, RiskDecision, TradeProposal } from '../domain/types';

export async function assessTradeRisk(input: { proposals: TradeProposal[]; verdicts: LlmVerdict[]; context: SizingContext }): Promise<RiskDecision[]> {
  return assessRisk(input.proposals, input.verdicts, input.context);
}
