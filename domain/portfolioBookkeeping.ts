/**
 * The portfolio's bookkeeping between cycles, pure: what the portfolio workflow (workflows/portfolio.ts) does with
 * a cycle's trades, and the backtester (backtest/engine.ts) does on market time, so both keep the same daily
 * notional, trade statistics, cooldowns and drawdown halt.
 */
import type { CooldownPolicy } from './config';
import type { CycleTrade } from './bookOrder';
import { cooldownKey, cooldownsAfterTrade, recordTrade, NO_TRADES, type Cooldown } from './risk';
import type { TradeStats } from './types';

export interface DailyNotional {
  day: string;
  notional: number;
}

/** The day's traded notional and the closed-trade statistics (Kelly) after a batch of fills. */
export function bookTrades(
  trades: readonly CycleTrade[],
  day: string,
  dailyNotional: DailyNotional | undefined,
  tradeStats: TradeStats | undefined,
): { dailyNotional: DailyNotional; tradeStats: TradeStats } {
  let notional = dailyNotional?.day === day ? dailyNotional.notional : 0;
  let stats = tradeStats ?? NO_TRADES;
  for (const t of trades) {
    notional += t.notional;
    if (t.side === 'sell') stats = recordTrade(stats, t.realizedPnl);
  }
  return { dailyNotional: { day, notional }, tradeStats: stats };
}

/** The cooldowns a cycle's trades start, by key; a later trade on the same key replaces an earlier one. */
export function cooldownsOpenedBy(trades: readonly CycleTrade[], now: number, policy: CooldownPolicy): Map<string, Cooldown> {
  const opened = new Map<string, Cooldown>();
  for (const t of trades) {
    for (const c of cooldownsAfterTrade(t.symbol, t.side, now, t.price, policy)) opened.set(cooldownKey(c.symbol, c.kind), c);
  }
  return opened;
}

/** The new peak, and the reason for a drawdown halt when equity has fallen `limit` or more below it. */
export function drawdownCheck(peakEquity: number | undefined, marked: number, limit: number): { peakEquity: number; haltReason?: string } {
  const peak = Math.max(peakEquity ?? marked, marked);
  const drawdown = peak > 0 ? 1 - marked / peak : 0;
  if (drawdown < limit) return { peakEquity: peak };
  return {
    peakEquity: peak,
    haltReason: `equity ${marked.toFixed(2)} is ${(drawdown * 100).toFixed(2)}% below its peak ${peak.toFixed(2)} (limit ${(limit * 100).toFixed(2)}%)`,
  };
}
