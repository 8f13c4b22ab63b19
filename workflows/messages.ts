/** Signals, queries and updates of the portfolio workflow; the client and the CLI import these definitions. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ConfigPatch, PortfolioConfig } from '../domain/config';
import type { MarketCursor, Mode, PortfolioBook, Position } from '../domain/types';

export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const stopSignal = defineSignal<[{ reason?: string }?]>('stop');
export const statusQuery = defineQuery<PortfolioStatus>('status');
export const setConfigUpdate = defineUpdate<PortfolioConfig, [ConfigPatch]>('setConfig');

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
  cooldowns: Record<string, number>;
  paused: boolean;
  pauseReason?: string;
  /** UTC day on which the daily loss limit halted new entries, if any. */
  dailyHaltDay?: string;
  cycleNo: number;
  /** Short id of the portfolio's first run: part of every cycle id. */
  instanceId: string;
  lastCycle?: LastCycle;
  lastPrices: Record<string, number>;
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
  dailyHalt: boolean;
  cooldowns: { symbol: string; until: string }[];
  cyclesRun: number;
  lastCycle?: LastCycle;
  config: PortfolioConfig;
}
