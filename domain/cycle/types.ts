/** What a trading cycle receives from its portfolio and hands back: plain JSON, written into Temporal history. */
import type { PortfolioConfig } from '../config';
import type { CycleTrade } from '../bookOrder';
import type { CycleNotices } from '../notifications/cycleNotices';
import type { CooldownBook } from '../risk';
import type { RestingOrder } from './restingOrders';
import type { MarketCursor, OrderResult, PortfolioBook, RiskReport, TradeStats } from '../types';

export interface CycleInput {
  portfolioId: string;
  cycleNo: number;
  config: PortfolioConfig;
  book: PortfolioBook;
  cursor: MarketCursor;
  cooldowns?: CooldownBook;
  /** Set once the daily loss limit fired in the current trading day. */
  dailyHalt?: boolean;
  /** Why the portfolio is halted (drawdown, emergency stop), if it is. */
  halt?: string;
  tradeStats?: TradeStats;
  /** Notional already traded in the current trading day. */
  dailyNotional?: number;
  /** First version only: symbols with a buy cooldown. */
  coolingSymbols?: string[];
  /** Orders resting on the book from earlier cycles (the portfolio's durable list). */
  openOrders?: RestingOrder[];
  /** The portfolio's latest fills, oldest first, for the LLM reviewer (domain/cycle/llmContext.ts). */
  recentTrades?: CycleTrade[];
}

export interface CycleOutcome {
  status: 'completed' | 'failed' | 'exhausted';
  error?: string;
  /** The book after this cycle's fills: the portfolio adopts it as is. */
  book: PortfolioBook;
  nextCursor: MarketCursor;
  prices: Record<string, number>;
  equity: number;
  orders: OrderResult[];
  /** Symbols that got a fill (first version's cooldowns). */
  tradedSymbols: string[];
  trades?: CycleTrade[];
  dailyLossLimitHit: boolean;
  risk?: RiskReport;
  /** The orders still resting after this cycle: the portfolio keeps them for the next one. */
  openOrders?: RestingOrder[];
  /** What the portfolio derives notifications from besides the book (exits fired, drift, LLM fallbacks); absent when nothing. */
  notices?: CycleNotices;
  /** What an operator should hear about (an exit the venue refused, dust worth a sale again): once, when it happens. */
  events?: CycleEvent[];
}

export interface CycleEvent {
  kind: 'exit-unexecutable' | 'dust-released';
  symbol: string;
  /** The cycle's clock, ms UTC. */
  time: number;
  detail: string;
}
