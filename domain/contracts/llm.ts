/** The LLM review port: one verdict per proposal, a fallback verdict (never a failure) when the model cannot answer. */
import type { LlmPolicy } from '../config';
import type { ReviewContext } from '../cycle/llmContext';
import type { LlmVerdict, Position, TradeProposal } from '../types';

export interface ValidateTradesInput {
  proposals: TradeProposal[];
  policy: LlmPolicy;
  context: PortfolioContext;
}

/** The portfolio, and (from cycles recorded after it existed) what the reviewer reads besides the proposal. */
export interface PortfolioContext extends Partial<ReviewContext> {
  portfolioId: string;
  cash: number;
  equity: number;
  positions: Record<string, Position>;
}

export interface LlmPort {
  validateTrades(input: ValidateTradesInput): Promise<LlmVerdict[]>;
}
