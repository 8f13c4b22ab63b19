/**
 * The portfolio workflow's queries and update checks as plain functions of its state (deterministic, no commands),
 * kept out of workflows/portfolio.ts so that file is the orchestration alone.
 */
import type { PortfolioConfig } from '../domain/config';
import { failure, type FailureType } from '../domain/failures';
import { equity } from '../domain/ledger';
import type { Cooldown } from '../domain/risk';
import { stateBudgetRefusal } from '../domain/stateBudget';
import type { PortfolioRisk, PortfolioState, PortfolioStatus } from './messages';

const markedEquity = (state: PortfolioState) => equity(state.book, state.lastPrices);

/** The `status` query's answer. */
export function portfolioStatus(state: PortfolioState, run: PortfolioStatus['state'], today: string): PortfolioStatus {
  return {
    portfolioId: state.config.portfolioId,
    mode: state.config.mode,
    market: state.config.market,
    state: run,
    pauseReason: state.pauseReason,
    cash: state.book.cash,
    equity: markedEquity(state),
    positions: Object.values(state.book.positions),
    realizedPnlToday: state.book.realizedPnlToday,
    openOrders: (state.openOrders ?? []).map((o) => ({
      clientOrderId: o.request.clientOrderId, symbol: o.request.symbol, side: o.request.side, type: o.request.type,
      quantity: o.request.quantity, filledQuantity: o.filledQuantity, limitPrice: o.request.limitPrice, status: o.status,
    })),
    dailyHalt: state.dailyHaltDay === today,
    halt: state.halt,
    riskScore: state.lastRisk?.riskScore,
    valueAtRisk: state.lastRisk?.valueAtRisk,
    cooldowns: Object.values(state.cooldowns as Record<string, Cooldown>).map((c) => ({ symbol: c.symbol, kind: c.kind, until: new Date(c.until).toISOString() })),
    // Finished cycles: the one in flight, if any, is not counted until its outcome is applied.
    cyclesRun: state.lastCycle?.cycleNo ?? 0,
    lastCycle: state.lastCycle,
    lastCompletedCycleAt: state.notifications?.lastCompletedAt,
    failingCycles: state.notifications?.failureStreak,
    config: state.config,
  };
}

/** The `risk` query's answer. */
export function portfolioRisk(state: PortfolioState, today: string): PortfolioRisk {
  const halts: PortfolioRisk['halts'] = [];
  if (state.halt) halts.push(state.halt);
  if (state.dailyHaltDay === today) halts.push({ kind: 'daily-loss', reason: `daily loss limit hit on ${state.dailyHaltDay}: no new entries until the next trading day` });
  const peak = state.peakEquity;
  return {
    limits: state.config.risk, report: state.lastRisk, halts, peakEquity: peak,
    drawdown: peak && peak > 0 ? Math.max(0, 1 - markedEquity(state) / peak) : undefined, tradeStats: state.tradeStats,
  };
}

/**
 * The configuration an update would leave, or its refusal as `type`: the field's own reason, or the state budget's
 * (domain/stateBudget.ts). The update validators run it, so a refused change never reaches history.
 */
export function checkedConfig(state: PortfolioState, check: { ok: true; config: PortfolioConfig } | { ok: false; reason: string }, type: FailureType): PortfolioConfig {
  if (!check.ok) throw failure(type, check.reason);
  const tooLarge = stateBudgetRefusal({ ...state, config: check.config });
  if (tooLarge) throw failure(type, tooLarge);
  return check.config;
}
