/**
 * Entry sizes. Each rule proposes a notional; the smallest applicable one wins:
 * - weight: up to maxAssetWeight of equity in the asset;
 * - ATR: the position loses riskPerTrade of equity if the stop (stopAtrMultiple x ATR away) is hit;
 * - Kelly: kellyFraction x (p - (1 - p) / b) of equity, capped at kellyCap, where p is the calibrated probability
 *   that the trade wins (P(up) / (P(up) + P(down)) for a buy) and b the observed average win / average loss. Until at least MIN_TRADES wins and
 *   MIN_TRADES losses are on record, b is taken as 1 (no evidence of an edge in payoff).
 */
import type { RiskLimits } from '../config';
import type { TradeStats } from '../types';

export const MIN_TRADES = 5;

export function payoffRatio(stats: TradeStats): { b: number; observed: boolean } {
  if (stats.wins < MIN_TRADES || stats.losses < MIN_TRADES || stats.grossLoss <= 0) return { b: 1, observed: false };
  return { b: stats.grossWin / stats.wins / (stats.grossLoss / stats.losses), observed: true };
}

/** `setupPayoff`: a strategy's own reward-to-risk for this trade (target and stop distances), used over the record. */
export function kellyFraction(p: number, stats: TradeStats, limits: RiskLimits, setupPayoff?: number): { fraction: number; b: number; observed: boolean } {
  const { b, observed } = setupPayoff !== undefined && setupPayoff > 0 ? { b: setupPayoff, observed: false } : payoffRatio(stats);
  const full = p - (1 - p) / b;
  return { fraction: Math.min(limits.kellyCap, Math.max(0, full * limits.kellyFraction)), b, observed };
}

/** The notional that loses riskPerTrade of equity if the price falls to `stop`. */
export function stopNotional(equity: number, price: number, stop: number, limits: RiskLimits): number {
  if (!(price > stop) || !(stop > 0)) return NaN;
  return (equity * limits.riskPerTrade) / ((price - stop) / price);
}

export function atrNotional(equity: number, price: number, atr: number, limits: RiskLimits): number {
  if (!(atr > 0) || !(price > 0)) return NaN;
  const stopFraction = (limits.stopAtrMultiple * atr) / price;
  return (equity * limits.riskPerTrade) / stopFraction;
}

export function recordTrade(stats: TradeStats, realizedPnl: number): TradeStats {
  if (realizedPnl > 0) return { ...stats, wins: stats.wins + 1, grossWin: stats.grossWin + realizedPnl };
  if (realizedPnl < 0) return { ...stats, losses: stats.losses + 1, grossLoss: stats.grossLoss - realizedPnl };
  return stats;
}

export const NO_TRADES: TradeStats = { wins: 0, losses: 0, grossWin: 0, grossLoss: 0 };
