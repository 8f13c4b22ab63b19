/**
 * The strategy manager: turns every strategy's raw decisions for one symbol into at most one proposal.
 *
 * Buys pass, in order: the regime (weight 0 disables the strategy), the breaker (PANIC blocks all, EUPHORIA the
 * chasing strategies, CAUTION drops the less confident), the multi-timeframe consensus, the ML signal (filter:
 * the model calling down drops the buy; confidence: the model's odds are blended in), the expected-value floor
 * and the capital allocation (allocation x equity x regime weight, less what the strategy already holds; CAUTION
 * scales it too). Sells are never gated: leaving a position only reduces risk. The survivors compete: higher
 * confidence wins, then higher expected value, then the order of STRATEGY_NAMES (so a tie is still
 * deterministic).
 */
import type { Signal } from '../types';
import { STRATEGY_NAMES, type StrategyConfig, type StrategyName } from './config';
import { expectedValue, pct } from './proposalMath';
import type { RegimeReading } from './regime';
import type { StrategyProposal } from './types';

export interface ConsideredProposal {
  proposal: StrategyProposal;
  chosen: boolean;
  /** Why it lost or was dropped; for the chosen one, why it won. */
  why: string;
}

export interface SymbolContext {
  reading: RegimeReading;
  /** False when a consensus timeframe disagrees (always true with consensus off). */
  consensus: boolean;
  consensusNote: string;
  signal?: Signal;
}

export interface AllocationContext {
  equity: number;
  /** Market value held per strategy (positions tagged with the strategy that opened them). */
  heldByStrategy: Partial<Record<StrategyName, number>>;
}

const rank = (s: string): number => STRATEGY_NAMES.indexOf(s as StrategyName);

/** Higher confidence first, then higher expected value, then strategy order. */
export function compareProposals(a: StrategyProposal, b: StrategyProposal): number {
  return b.confidence - a.confidence || b.expectedValue - a.expectedValue || rank(a.strategy) - rank(b.strategy);
}

/** Reward and risk of a buy as fractions of its average entry (the ladder's, for a grid). */
function rewardAndRisk(p: StrategyProposal): { reward: number; risk: number } | null {
  if (p.stop === undefined || p.takeProfit === undefined) return null;
  const entry = p.ladder ? ladderAveragePrice(p.ladder) : p.entry;
  return { reward: p.takeProfit / entry - 1, risk: 1 - p.stop / entry };
}

/** Average fill price of a ladder whose weights are shares of notional (a harmonic mean). */
export function ladderAveragePrice(ladder: { price: number; weight: number }[]): number {
  let units = 0;
  let notional = 0;
  for (const r of ladder) {
    units += r.weight / r.price;
    notional += r.weight;
  }
  return notional / units;
}

/** Applies the ML signal to a buy; returns the (possibly re-scored) proposal, or a reason to drop it. */
export function applySignal(p: StrategyProposal, signal: Signal | undefined, config: StrategyConfig): StrategyProposal | string {
  if (config.ml.use === 'off' || signal === undefined) return p;
  const { up, down } = signal.probabilities;
  if (config.ml.use === 'filter') {
    return signal.direction === 'down' ? `ML model ${signal.modelVersion} calls down (p=${down.toFixed(2)})` : p;
  }
  if (!(up + down > 0)) return p;
  const w = config.ml.confidenceWeight;
  // The model's odds of up rather than down: the same question the confidence answers.
  const confidence = (1 - w) * p.confidence + w * (up / (up + down));
  const rr = rewardAndRisk(p);
  return {
    ...p,
    confidence,
    expectedValue: rr ? expectedValue(confidence, rr.reward, rr.risk, config.costRate) : p.expectedValue,
    reason: `${p.reason}; ML ${signal.modelVersion} up ${up.toFixed(2)} / down ${down.toFixed(2)} blended into confidence`,
  };
}

/** Why a buy may not go ahead, or null; sets allocationCap on the way. */
function gateBuy(p: StrategyProposal, ctx: SymbolContext, alloc: AllocationContext, config: StrategyConfig): StrategyProposal | string {
  const strategy = p.strategy as StrategyName;
  const { regime, breaker } = ctx.reading;
  let weight = 1;
  if (config.regime.enabled) {
    if (regime === null) return 'regime not known yet';
    weight = config.regime.weights[regime][strategy];
    if (weight === 0) return `${strategy} is disabled in a ${regime} market`;
  }
  if (breaker === 'PANIC') return 'circuit breaker PANIC: no new entries';
  if (breaker === 'EUPHORIA' && config.breaker.chasingStrategies.includes(strategy)) {
    return `circuit breaker EUPHORIA: no chasing buys by ${strategy}`;
  }
  if (breaker === 'CAUTION' && p.confidence < config.breaker.cautionMinConfidence) {
    return `circuit breaker CAUTION: confidence ${p.confidence.toFixed(2)} below ${config.breaker.cautionMinConfidence}`;
  }
  if (!ctx.consensus) return `no multi-timeframe consensus: ${ctx.consensusNote}`;
  const scored = applySignal(p, ctx.signal, config);
  if (typeof scored === 'string') return scored;
  const floor = config.manager.minExpectedValue;
  if (floor !== null && !(scored.expectedValue >= floor)) {
    return `expected value ${pct(scored.expectedValue)} below the floor ${pct(floor)}`;
  }
  const caution = breaker === 'CAUTION' ? config.breaker.cautionSizeFactor : 1;
  const cap = config.allocations[strategy] * alloc.equity * weight * caution - (alloc.heldByStrategy[strategy] ?? 0);
  if (!(cap > 0)) return `${strategy} has used its allocation`;
  return { ...scored, allocationCap: cap };
}

/**
 * Picks at most one proposal for one symbol. `held` says whether the symbol has a position: then only sells
 * compete, otherwise only buys (one position per symbol, long only).
 */
export function resolveSymbol(
  raw: StrategyProposal[],
  held: boolean,
  ctx: SymbolContext,
  alloc: AllocationContext,
  config: StrategyConfig,
): { chosen: StrategyProposal | null; considered: ConsideredProposal[] } {
  const considered: ConsideredProposal[] = [];
  const contenders: StrategyProposal[] = [];
  for (const p of raw) {
    if (p.side === 'buy' && held) considered.push({ proposal: p, chosen: false, why: 'a position is already held (one per symbol)' });
    else if (p.side === 'sell' && !held) considered.push({ proposal: p, chosen: false, why: 'no position to sell' });
    else if (p.side === 'sell') contenders.push(p);
    else {
      const gated = gateBuy(p, ctx, alloc, config);
      if (typeof gated === 'string') considered.push({ proposal: p, chosen: false, why: gated });
      else contenders.push(gated);
    }
  }
  contenders.sort(compareProposals);
  const [winner, ...losers] = contenders;
  for (const p of losers) {
    considered.push({
      proposal: p, chosen: false,
      why: `lost to ${winner.strategy} (confidence ${p.confidence.toFixed(3)} vs ${winner.confidence.toFixed(3)}, EV ${pct(p.expectedValue)} vs ${pct(winner.expectedValue)})`,
    });
  }
  if (winner) {
    considered.unshift({ proposal: winner, chosen: true, why: losers.length ? `highest confidence of ${contenders.length}` : 'only candidate' });
  }
  return { chosen: winner ?? null, considered };
}
