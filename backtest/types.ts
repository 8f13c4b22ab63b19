/**
 * What a backtest produces. Plain JSON (no class instances, no timings), so results can cross worker threads,
 * be written to the JSON report and be compared byte for byte between runs.
 */
import type { RiskDecision, Side } from '../domain/types';
import type { RefusalSummary } from './refusals';

/** Equity marked to the close of each base candle; `time` is the candle's close (open time + candle length). */
export interface EquityPoint {
  time: number;
  equity: number;
  cash: number;
  /** Number of open positions after the candle. */
  positions: number;
}

export type ExitReason = 'stop-loss' | 'trailing-stop' | 'take-profit' | 'signal-exit' | 'trim' | 'liquidation' | 'end-of-data' | string;

/** One executed fill, in time order. */
export interface BacktestFill {
  time: number;
  symbol: string;
  side: Side;
  price: number;
  quantity: number;
  fee: number;
  /** Intent of the order: entry, signal-exit, protective-exit, trim, liquidation. */
  intent: string;
  strategy?: string;
  clientOrderId: string;
}

/**
 * A round trip: from the fill that opened a position (flat to long) to the fill that closed it (back to flat).
 * Top-ups and partial sells in between belong to it; prices are quantity-weighted averages.
 */
export interface ClosedTrade {
  symbol: string;
  strategy: string;
  entryTime: number;
  exitTime: number;
  entryPrice: number;
  exitPrice: number;
  /** Total quantity bought over the round trip. */
  quantity: number;
  fees: number;
  /** Realised PnL net of every fee of the round trip, in quote currency. */
  pnl: number;
  /** pnl over the quote currency spent on the buys (fees included). */
  returnPct: number;
  exitReason: ExitReason;
}

/** A position still open when the data ended, marked to the last close (not counted as a closed trade). */
export interface OpenTrade {
  symbol: string;
  strategy: string;
  entryTime: number;
  entryPrice: number;
  quantity: number;
  markPrice: number;
  unrealizedPnl: number;
  /** When what is left became dust (the venue refused its exit): no exposure from then on. */
  dustSince?: number;
}

/** Why each cycle did what it did: every refused or approved risk decision, with its rules. */
export interface DecisionLogEntry {
  time: number;
  cycleNo: number;
  decisions: RiskDecision[];
  error?: string;
}

export interface Metrics {
  /** final / initial - 1. */
  totalReturn: number;
  /** Compounded annual growth over the backtest's span (365.25-day years). */
  cagr: number;
  /** Daily returns (UTC days), mean / sample std × √365, risk-free rate 0. */
  sharpe: number;
  /** Daily returns, mean / downside deviation (target 0, over all days) × √365. */
  sortino: number;
  /** Largest fall from a running peak, as a fraction of the peak (0.25 = -25%). */
  maxDrawdown: number;
  /** From the peak before the largest drawdown to the recovery of that peak (or to the end), ms. */
  maxDrawdownDurationMs: number;
  trades: number;
  /** Share of closed trades with pnl > 0. */
  winRate: number;
  /** Gross profit / gross loss of closed trades; Infinity with profits and no losses, 0 with no trades. */
  profitFactor: number;
  /** Share of the backtest's span with at least one position open. */
  exposure: number;
  averageTradeDurationMs: number;
  netPnl: number;
}

/** A position held when the data ended, with its protective levels: the evidence that no stop was left unheeded. */
export interface FinalPosition {
  symbol: string;
  quantity: number;
  markPrice: number;
  value: number;
  /** The effective stop (trailing or initial) when the position had levels. */
  stop?: number;
  /** Marked below its own stop: an exit that did not happen. */
  belowStop: boolean;
  /** A touched stop or take-profit still waiting to be carried out. */
  pendingExit?: string;
  /** Why it could not be sold, when it is dust (domain/dust.ts). */
  dust?: string;
}

/** The candles a symbol actually had within the requested range. */
export interface Coverage {
  first: number;
  last: number;
  candles: number;
}

export interface BacktestResult {
  /** The settings the run used, echoed for the report and for reproduction. */
  settings: Record<string, unknown>;
  from: number;
  to: number;
  initialCash: number;
  finalEquity: number;
  cycles: number;
  trades: ClosedTrade[];
  openTrades: OpenTrade[];
  fills: BacktestFill[];
  decisions: DecisionLogEntry[];
  equityCurve: EquityPoint[];
  metrics: Metrics;
  byStrategy: Record<string, Metrics>;
  bySymbol: Record<string, Metrics>;
  /** Average share of equity in positions over the run's candles (metrics.exposure is the share of time with one). */
  capitalExposure: number;
  finalPositions: FinalPosition[];
  /** First and last candle of each symbol inside the range, and warnings when the range reaches beyond the data. */
  coverage: Record<string, Coverage>;
  warnings: string[];
  refusals: RefusalSummary;
  /** The LLM stage: its policy, its verdicts, the fallback ones by reason, and (ollama) the cache's use. */
  llm: LlmSummary;
}

export interface LlmSummary {
  policy: string;
  verdicts: number;
  approved: number;
  fallbacks: Record<string, number>;
  cacheHits?: number;
  cacheStored?: number;
  cacheDir?: string;
}
