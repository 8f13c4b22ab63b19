/**
 * A panel's verdict from its models' votes. Every model asked votes, a model that failed as its fallback (the
 * portfolio's `llm.fallback`: `reject` votes no, the approving policies vote yes at their size), so a slow or absent
 * model cannot stall the panel, nor pass unnoticed:
 *   - `any`        approves when at least one model approves;
 *   - `majority`   approves when more than half of the models approve (a tie rejects);
 *   - `unanimous`  approves when every model approves;
 *   - `weighted`   approves when the sum of weight x confidence of the approving models exceeds the rejecting ones';
 *                  a fallback has confidence 0, so it abstains (a tie, nothing said, rejects).
 * An approved trade is sized at the smallest size multiplier among the approving votes that counted (a fallback
 * approval at half size keeps the trade at half size). When every model fell back the verdict is the plain fallback
 * verdict (fallback=true), as with a single model.
 */
import type { LlmPolicy } from './config';
import type { LlmVerdict, ModelVerdict } from './types';

export type ConsensusRule = NonNullable<LlmPolicy['consensus']>;
export const DEFAULT_CONSENSUS: ConsensusRule = 'majority';

/** The models a policy asks, with their weights: `llm.models`, else `llm.model` alone. */
export function panelOf(policy: LlmPolicy): Array<{ model: string; weight: number }> {
  return (policy.models ?? [{ model: policy.model }]).map((m) => ({ model: m.model, weight: m.weight ?? 1 }));
}

export function combineVotes(symbol: string, votes: ModelVerdict[], rule: ConsensusRule): LlmVerdict {
  if (votes.length === 0) throw new Error(`no model voted on ${symbol}`);
  const model = votes.map((v) => v.model).join('+');
  const latencyMs = Math.max(...votes.map((v) => v.latencyMs));
  const answered = votes.filter((v) => !v.fallback);

  if (votes.length === 1) {
    const [only] = votes;
    return {
      symbol, approve: only.approve, confidence: only.confidence, reason: only.reason, model, fallback: only.fallback,
      ...(only.fallbackReason !== undefined ? { fallbackReason: only.fallbackReason } : {}),
      sizeMultiplier: only.sizeMultiplier, latencyMs, consensus: 'single model', models: votes,
    };
  }
  if (answered.length === 0) {
    const reasons = [...new Set(votes.map((v) => v.fallbackReason ?? 'fallback'))];
    return {
      symbol, approve: votes[0].approve, confidence: 0, reason: `every model fell back: ${votes.map((v) => `${v.model}: ${v.reason}`).join(' | ')}`,
      model, fallback: true, fallbackReason: reasons.join('; '), sizeMultiplier: votes[0].sizeMultiplier, latencyMs,
      consensus: `${rule}: every model fell back`, models: votes,
    };
  }

  const counted = rule === 'weighted' ? votes.filter((v) => v.weight * v.confidence > 0) : votes;
  const yes = counted.filter((v) => v.approve);
  const no = counted.filter((v) => !v.approve);
  const approve = decide(rule, votes, yes, no);
  const winners = approve ? yes : no.length > 0 ? no : votes.filter((v) => !v.approve);
  const fallbacks = votes.length - answered.length;
  const tally = rule === 'weighted'
    ? `weight x confidence ${score(yes).toFixed(2)} for, ${score(no).toFixed(2)} against`
    : `${votes.filter((v) => v.approve).length} of ${votes.length} approve`;
  const consensus = `${rule}: ${tally}${fallbacks ? ` (${fallbacks} fallback${fallbacks > 1 ? 's' : ''})` : ''}`;
  const spokesman = winners.find((v) => !v.fallback) ?? answered[0];
  return {
    symbol,
    approve,
    confidence: weightedMean(winners.length ? winners : answered),
    reason: `${consensus}; ${spokesman.model}: ${spokesman.reason}`,
    model,
    fallback: false,
    sizeMultiplier: approve ? Math.min(...yes.map((v) => v.sizeMultiplier)) : 1,
    latencyMs,
    consensus,
    models: votes,
  };
}

function decide(rule: ConsensusRule, votes: ModelVerdict[], yes: ModelVerdict[], no: ModelVerdict[]): boolean {
  switch (rule) {
    case 'any':
      return yes.length > 0;
    case 'majority':
      return yes.length * 2 > votes.length;
    case 'unanimous':
      return yes.length === votes.length;
    case 'weighted':
      return score(yes) > score(no);
  }
}

function score(votes: ModelVerdict[]): number {
  return votes.reduce((s, v) => s + v.weight * v.confidence, 0);
}

function weightedMean(votes: ModelVerdict[]): number {
  const weight = votes.reduce((s, v) => s + v.weight, 0);
  return weight > 0 ? votes.reduce((s, v) => s + v.weight * v.confidence, 0) / weight : 0;
}
