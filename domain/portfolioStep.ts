/**
 * The portfolio's step between cycles, pure (portfolioStep below): what the portfolio workflow
 * (workflows/portfolio.ts) does with a cycle's outcome on workflow time, and the backtester (backtest/engine.ts) on
 * market time, so both keep the same book, daily notional, trade statistics, cooldowns and drawdown halt.
 */
import type { CooldownPolicy, PortfolioConfig, RiskLimits } from './config';
import type { CycleTrade } from './bookOrder';
import { rememberTrades } from './cycle/llmContext';
import type { RestingOrder } from './cycle/restingOrders';
import type { CycleInput, CycleOutcome } from './cycle/types';
import { cooldownKey, cooldownsAfterTrade, recordTrade, NO_TRADES, type Cooldown, type CooldownBook } from './risk';
import type { MarketCursor, PortfolioBook, RiskReport, TradeStats } from './types';

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

/** Why a portfolio is halted (a drawdown, an emergency stop); only a human resume ends it. */
export interface Halt {
  kind: 'drawdown' | 'emergency';
  reason: string;
  since: string;
}

/** The bookkeeping the portfolio keeps between cycles: what the portfolio workflow carries and the backtester holds. */
export interface PortfolioLedger {
  book: PortfolioBook;
  cursor: MarketCursor;
  lastPrices: Record<string, number>;
  /** Open cooldowns by `symbol|kind` (the first version saved symbol -> until). */
  cooldowns: Record<string, Cooldown | number>;
  openOrders?: RestingOrder[];
  lastRisk?: RiskReport;
  /** Trading day on which the daily loss limit halted new entries, if any. */
  dailyHaltDay?: string;
  dailyNotional?: DailyNotional;
  tradeStats?: TradeStats;
  /** The LLM reviewer's memory of the portfolio's fills (domain/cycle/llmContext.ts). */
  recentTrades?: CycleTrade[];
  peakEquity?: number;
  halt?: Halt;
}

/** What the caller does after a step, in this order (the workflow's commands: a cooldown's durable timer first). */
export type PortfolioAction =
  /** A cooldown was opened: the workflow arms its timer (the backtester drops it on market time). */
  | { kind: 'arm-cooldown'; key: string }
  /**
   * Equity fell past the drawdown limit and the portfolio is not halted: halt it with `halt` (the workflow only behind
   * its `risk-controls` patch) and liquidate, cancelling resting orders and selling positions when `sellPositions`.
   */
  | { kind: 'drawdown-halt'; halt: Halt; sellPositions: boolean };

export interface StepContext {
  /** The clock of the cycle's end (workflow time, or market time in a backtest), ms UTC. */
  now: number;
  /** The trading day at `now` (domain/ledger.ts tradingDay). */
  today: string;
  limits: RiskLimits;
  /** Per-kind cooldowns (patch `side-cooldowns`); false: the first version's one buy cooldown per traded symbol. */
  sideCooldowns: boolean;
}

/** The day's notional, the Kelly statistics and the reviewer's memory after a batch of fills (a cycle's or a liquidation's). */
export function afterTrades(state: PortfolioLedger, trades: readonly CycleTrade[], today: string): Pick<PortfolioLedger, 'dailyNotional' | 'tradeStats' | 'recentTrades'> {
  const booked = bookTrades(trades, today, state.dailyNotional, state.tradeStats);
  return trades.length > 0 ? { ...booked, recentTrades: rememberTrades(state.recentTrades, trades) } : booked;
}

/**
 * One step of the portfolio between cycles, pure: a cycle's outcome applied to the portfolio's bookkeeping (book,
 * cursor, prices, resting orders, the daily halt, the day's notional and Kelly statistics, cooldowns, the drawdown
 * peak) and what the caller must do about it. The portfolio workflow and the backtester both run it, as both run
 * runCycle, so a backtest keeps its books as the live portfolio does.
 */
export function portfolioStep(state: PortfolioLedger, outcome: CycleOutcome, ctx: StepContext): { state: PortfolioLedger; actions: PortfolioAction[] } {
  const { now, today, limits } = ctx;
  const trades = outcome.trades ?? [];
  const actions: PortfolioAction[] = [];
  const next: PortfolioLedger = {
    ...state,
    book: outcome.book,
    cursor: outcome.nextCursor,
    lastPrices: { ...state.lastPrices, ...outcome.prices },
    ...(outcome.openOrders && { openOrders: outcome.openOrders }),
    ...(outcome.risk && { lastRisk: outcome.risk }),
    ...(outcome.dailyLossLimitHit && { dailyHaltDay: today }),
  };
  Object.assign(next, afterTrades(state, trades, today));

  const opened = ctx.sideCooldowns ? cooldownsOpenedBy(trades, now, limits.cooldowns) : firstVersionCooldowns(outcome, now, limits.cooldowns.buyMs);
  if (opened.size > 0) {
    next.cooldowns = { ...state.cooldowns };
    for (const [key, c] of opened) {
      next.cooldowns[key] = c;
      actions.push({ kind: 'arm-cooldown', key });
    }
  }

  if (Object.keys(outcome.prices).length > 0) {
    const check = drawdownCheck(state.peakEquity, outcome.equity, limits.maxDrawdown);
    next.peakEquity = check.peakEquity;
    if (check.haltReason && !state.halt) {
      actions.push({ kind: 'drawdown-halt', halt: { kind: 'drawdown', reason: check.haltReason, since: new Date(now).toISOString() }, sellPositions: limits.liquidateOnDrawdown });
    }
  }
  return { state: next, actions };
}

/** The first version's cooldowns: one buy cooldown per traded symbol, at the cycle's price. */
function firstVersionCooldowns(outcome: CycleOutcome, now: number, buyMs: number): Map<string, Cooldown> {
  const opened = new Map<string, Cooldown>();
  if (buyMs <= 0) return opened;
  for (const symbol of new Set(outcome.tradedSymbols)) {
    opened.set(cooldownKey(symbol, 'buy'), { symbol, kind: 'buy', until: now + buyMs, price: outcome.prices[symbol] ?? 0 });
  }
  return opened;
}

/** The input of the portfolio's next cycle, from its bookkeeping. */
export function cycleInputOf(state: PortfolioLedger, at: { portfolioId: string; cycleNo: number; config: PortfolioConfig; today: string }): CycleInput {
  return {
    portfolioId: at.portfolioId,
    cycleNo: at.cycleNo,
    config: at.config,
    book: state.book,
    cursor: state.cursor,
    cooldowns: state.cooldowns as CooldownBook,
    dailyHalt: state.dailyHaltDay === at.today,
    halt: state.halt ? `${state.halt.kind}: ${state.halt.reason}` : undefined,
    tradeStats: state.tradeStats ?? NO_TRADES,
    dailyNotional: state.dailyNotional?.day === at.today ? state.dailyNotional.notional : 0,
    // Only when there are any, so cycles of portfolios without resting orders keep their earlier input.
    ...(state.openOrders?.length ? { openOrders: state.openOrders } : {}),
    // The LLM reviewer's memory of the portfolio's fills (issue 15); absent until there are any, likewise.
    ...(state.recentTrades?.length ? { recentTrades: state.recentTrades } : {}),
  };
}
