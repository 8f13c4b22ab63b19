/**
 * Confidence and expected value, derived from the setup's levels the same way for every strategy.
 *
 * Without any edge, a price that moves like a driftless random walk reaches a target `reward` above before a stop
 * `risk` below with probability risk / (risk + reward): the odds at which the trade is worth exactly zero before
 * costs. A strategy's setup claims an edge on top of that, proportional to how strong the setup is (strength in
 * 0..1: how far past its threshold each condition is) and never more than `maxEdge`:
 *
 *   confidence    = risk / (risk + reward) + maxEdge x strength
 *   expectedValue = confidence x reward - (1 - confidence) x risk - costRate
 *
 * with reward and risk as fractions of the entry. A setup at strength 0 is therefore worth -costRate: the
 * configuration's maxEdge is the one assumption, stated in one place, and the backtester is what tests it.
 */
import type { DecisionCosts } from './strategy';

export const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : Number.isNaN(x) ? 0 : x);

export interface EntryOdds {
  confidence: number;
  expectedValue: number;
  reward: number;
  risk: number;
}

export function entryOdds(entry: number, stop: number, takeProfit: number, strength: number, costs: DecisionCosts): EntryOdds {
  const reward = takeProfit / entry - 1;
  const risk = 1 - stop / entry;
  const confidence = Math.min(0.99, risk / (risk + reward) + costs.maxEdge * clamp01(strength));
  return { confidence, expectedValue: expectedValue(confidence, reward, risk, costs.costRate), reward, risk };
}

export const expectedValue = (confidence: number, reward: number, risk: number, costRate: number): number =>
  confidence * reward - (1 - confidence) * risk - costRate;

/**
 * An exit's expected value is the return it locks in (the position's return at this close, after the round trip's
 * cost). Its confidence is 1 for a hit level (take-profit, stop) and 0.5 + strength / 2 for a signal exit: a
 * signal that just crossed its threshold is a coin flip about the move that follows, a strong one less so.
 */
export function exitValue(close: number, avgPrice: number, costRate: number): number {
  return close / avgPrice - 1 - costRate;
}

export const signalExitConfidence = (strength: number): number => 0.5 + clamp01(strength) / 2;

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
export const price = (x: number): string => (x >= 100 ? x.toFixed(2) : x >= 1 ? x.toFixed(4) : x.toPrecision(5));
