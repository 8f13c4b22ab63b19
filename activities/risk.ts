/** The risk activity: sizing and portfolio limits, run on the CPU queue with the rules of domain/risk. */
import type { RiskPort } from '../domain/contracts/risk';
import { assessRisk, type AssessContext } from '../domain/risk';
import type { MarketStats } from '../domain/marketStats';
import type { LlmVerdict, RiskDecision, TradeProposal } from '../domain/types';

/** The risk port's input (domain/contracts/risk.ts), or what a first-version cycle sent. */
export interface AssessTradeRiskInput {
  proposals: TradeProposal[];
  /** Verdicts by symbol (one intent per symbol). */
  verdicts: Record<string, LlmVerdict> | LlmVerdict[];
  context: AssessContext | (Omit<AssessContext, 'stats' | 'tradeStats' | 'dailyNotional'> & { prices: Record<string, number> });
}

/**
 * A cycle started by the first version (still in flight during an upgrade) sends verdicts as a list and prices
 * instead of market statistics; it is assessed with what it sent: no ATR, correlation or Kelly evidence.
 */
function upgradeInput(input: AssessTradeRiskInput): { verdicts: Record<string, LlmVerdict>; context: AssessContext } {
  const verdicts = Array.isArray(input.verdicts) ? Object.fromEntries(input.verdicts.map((v) => [v.symbol, v])) : input.verdicts;
  if ('stats' in input.context) return { verdicts, context: input.context };
  const { prices, ...rest } = input.context;
  const stats: Record<string, MarketStats> = Object.fromEntries(
    Object.entries(prices).map(([symbol, price]) => [symbol, { symbol, time: 0, open: price, high: price, low: price, price, atr: NaN, returns: [], barsPerDay: 24 }]),
  );
  return { verdicts, context: { ...rest, stats, tradeStats: { wins: 0, losses: 0, grossWin: 0, grossLoss: 0 }, dailyNotional: 0 } };
}

export async function assessTradeRisk(input: AssessTradeRiskInput): Promise<RiskDecision[]> {
  const { verdicts, context } = upgradeInput(input);
  return assessRisk(input.proposals, verdicts, context);
}

// The risk port of the cycle's contracts (domain/contracts): the compiler holds this activity to it.
void ({ assessTradeRisk } satisfies RiskPort);
