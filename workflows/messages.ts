/** Signals, queries and updates of the portfolio workflow; the client and the CLI import these definitions. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ConfigPatch, PortfolioConfig, RiskLimits, RiskPatch } from '../domain/config';
import type { RestingOrder } from '../domain/cycle/restingOrders';
import type { Halt } from '../domain/portfolioStep';
import type { NotifyTracker } from '../domain/notifications/derive';
import type { CycleTrade } from '../domain/bookOrder';
import type { Cooldown } from '../domain/risk/cooldowns';
import type { MarketCursor, Mode, PortfolioBook, Position, RiskReport, TradeStats } from '../domain/types';

export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const stopSignal = defineSignal<[{ reason?: string }?]>('stop');
export const statusQuery = defineQuery<PortfolioStatus>('status');
export const setConfigUpdate = defineUpdate<PortfolioConfig, [ConfigPatch]>('setConfig');
/** Halts the portfolio and sells every position; repeated, it does nothing more. */
export const emergencyStopSignal = defineSignal<[{ reason?: string }?]>('emergencyStop');
export const setRiskLimitsUpdate = defineUpdate<RiskLimits, [RiskPatch]>('setRiskLimits');
export const riskQuery = defineQuery<PortfolioRisk>('risk');

export type { Halt } from '../domain/portfolioStep';

export interface LastCycle {
  cycleNo: number;
  workflowId: string;
  status: 'completed' | 'failed' | 'exhausted';
  error?: string;
  finishedAt: string;
  orders: number;
  equity: number;
}

/** Everything the portfolio carries across continue-as-new; also what a stopped run returns, to resume from. */
export interface PortfolioState {
  config: PortfolioConfig;
  book: PortfolioBook;
  cursor: MarketCursor;
  /** Symbol -> ms UTC when its cooldown ends. */
  /** Open cooldowns by `symbol|kind` (the first version saved symbol -> until). */
  cooldowns: Record<string, Cooldown | number>;
  paused: boolean;
  pauseReason?: string;
  /** Trading day on which the daily loss limit halted new entries, if any. */
  dailyHaltDay?: string;
  /** Set by a drawdown breach or an emergency stop; only a human resume clears it. */
  halt?: Halt;
  /** Highest equity seen since the start or the last resume from a halt. */
  peakEquity?: number;
  tradeStats?: TradeStats;
  /** Notional traded in the current trading day. */
  dailyNotional?: { day: string; notional: number };
  /** Liquidations requested so far (emergency stops and drawdown halts that sell), and how many have run. */
  liquidationsRequested?: number;
  liquidationsDone?: number;
  /** Whether the pending request sells positions (emergency stop) or only cancels open orders (a drawdown halt). */
  liquidationSells?: boolean;
  lastRisk?: RiskReport;
  cycleNo: number;
  /** Short id of the portfolio's first run: part of every cycle id. */
  instanceId: string;
  lastCycle?: LastCycle;
  lastPrices: Record<string, number>;
  /** Orders resting on the book (limit entries, ladders): each cycle polls them, books fills, cancels the stale. */
  openOrders?: RestingOrder[];
  /** Notification bookkeeping (failure streak, LLM fallback window, the day's fills, unsent events). */
  notifications?: NotifyTracker;
  /** The latest fills, oldest first (domain/cycle/llmContext.ts keeps the newest 40), for the LLM reviewer. */
  recentTrades?: CycleTrade[];
}

export interface PortfolioStatus {
  portfolioId: string;
  mode: Mode;
  market: string;
  state: 'running' | 'paused' | 'stopping' | 'stopped';
  pauseReason?: string;
  cash: number;
  equity: number;
  positions: Position[];
  realizedPnlToday: number;
  /** Orders resting on the book, as of the last cycle. */
  openOrders?: { clientOrderId: string; symbol: string; side: string; type: string; quantity: number; filledQuantity: number; limitPrice?: number; status: string }[];
  dailyHalt: boolean;
  cooldowns: { symbol: string; kind: string; until: string }[];
  halt?: Halt;
  riskScore?: number;
  valueAtRisk?: number;
  cyclesRun: number;
  lastCycle?: LastCycle;
  /** When the last cycle that completed finished, and how many have failed in a row since (absent before the first). */
  lastCompletedCycleAt?: string;
  failingCycles?: number;
  config: PortfolioConfig;
}

export interface PortfolioRisk {
  limits: RiskLimits;
  /** From the last cycle; absent before the first. */
  report?: RiskReport;
  halts: { kind: 'daily-loss' | Halt['kind']; reason: string; since?: string }[];
  peakEquity?: number;
  drawdown?: number;
  tradeStats?: TradeStats;
}
