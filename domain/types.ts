/**
 * The data that crosses activity and workflow boundaries. Everything here is plain JSON:
 * it is written into Temporal history, so it must never carry credentials.
 */
import type { StrategyOutcome } from './strategies/market';
import type { LadderRung, StrategyProposal } from './strategies/types';

/** One OHLCV candle in ccxt's unified shape: [timestamp ms UTC (open time), open, high, low, close, volume]. */
export type Candle = [number, number, number, number, number, number];

export type Mode = 'paper' | 'live';
export type Side = 'buy' | 'sell';

/**
 * Where candles come from. `live:<exchange>` uses ccxt's public API; `replay:<dir>` walks CSV files
 * cycle by cycle; `sim:<seed>` is the project's seeded synthetic market.
 */
export type MarketSourceSpec = string;

/**
 * Durable position of a market source, held by the portfolio workflow: replay and sim advance one candle
 * per cycle; live ignores it. Time-based rather than an index because symbols' histories start at different times.
 */
export interface MarketCursor {
  /** Open time (ms UTC) of the newest candle the last cycle saw; null before the first cycle. */
  time: number | null;
}

export interface MarketSnapshot {
  symbol: string;
  timeframe: string;
  /** Oldest first; the newest candle is closed (an unfinished live candle is dropped). */
  candles: Candle[];
  /** Which market the candles came from, copied into every record. */
  source: MarketSourceSpec;
}

export interface MarketDataResult {
  snapshots: MarketSnapshot[];
  /** Cursor to hand to the next cycle. */
  nextCursor: MarketCursor;
  /** True when a replay has no newer candle left: the portfolio stops cleanly. */
  exhausted: boolean;
}

/** Features for the newest candle of one symbol, in the model manifest's order. */
export interface FeatureVector {
  symbol: string;
  /** Open time of the candle the features describe (ms UTC). */
  asOf: number;
  close: number;
  names: string[];
  values: number[];
}

export type Direction = 'up' | 'down' | 'flat';

export interface Signal {
  symbol: string;
  asOf: number;
  direction: Direction;
  /** Probability the model gives its chosen direction, 0..1. */
  confidence: number;
  probabilities: Record<Direction, number>;
  modelVersion: string;
}

/**
 * Why a trade is proposed. Entries and signal exits go to the LLM; protective exits and rebalancing trims
 * reduce risk and are never held back by it.
 */
export type TradeIntent = 'entry' | 'signal-exit' | 'protective-exit' | 'trim';

/**
 * A strategy's protective levels for an entry, carried from the proposal through the risk decision to the fill
 * that arms them (domain/bookOrder.ts). Absent levels fall back to the ATR-based defaults of the risk limits.
 */
export interface EntryLevels {
  strategy?: string;
  stop?: number;
  takeProfit?: number;
  /** Trailing stop as a fraction under the high-water mark. */
  trailingPct?: number;
}

/** A trade proposed before the LLM and risk have their say. */
export interface TradeProposal {
  symbol: string;
  side: Side;
  price: number;
  /** The model's signal; absent for protective exits, which the price alone triggers. */
  signal?: Signal;
  /** Absent on proposals made before intents existed: treated as an entry (buy) or signal exit (sell). */
  intent?: TradeIntent;
  /** For exits and trims: the quantity to sell, fixed by the rule that proposed it. */
  quantity?: number;
  /** The rules that produced the proposal (a stop hit, an overweight position). */
  reasons?: RuleFired[];
  /** Set when a strategy (domain/strategies) proposed the trade: its confidence, levels, ladder and allocation. */
  strategy?: StrategyProposal;
}

/**
 * The verdict on one proposal: one model's, or a panel's combined by its consensus rule. `models` (absent on
 * verdicts recorded before panels existed) holds each model's own vote, fallbacks included.
 */
export interface LlmVerdict {
  symbol: string;
  approve: boolean;
  confidence: number;
  reason: string;
  /** The model that answered, or the panel's models joined with '+'. */
  model: string;
  /** True when the verdict comes from the fallback policy, not from the model (every model of a panel failed). */
  fallback: boolean;
  /** Why the fallback applied (unreachable, timeout, unparseable answer, ...). */
  fallbackReason?: string;
  /** Multiplier the fallback policy applies to the size (1 for a model verdict). */
  sizeMultiplier: number;
  latencyMs: number;
  /** How the verdict was reached: the rule and the count of votes, e.g. `majority: 2 of 3 approve`. */
  consensus?: string;
  models?: ModelVerdict[];
  /** The question as asked, so the verdict can be reproduced (activities/llm/prompt.ts). */
  prompt?: PromptRecord;
}

/** One model's vote on one proposal. */
export interface ModelVerdict {
  model: string;
  weight: number;
  approve: boolean;
  confidence: number;
  reason: string;
  fallback: boolean;
  fallbackReason?: string;
  sizeMultiplier: number;
  latencyMs: number;
  /** True when the same question to the same model earlier in the cycle answered for it (asked once). */
  reused?: boolean;
}

export interface PromptRecord {
  /** The prompt template's version: a change of wording or of the context it carries is a new version. */
  version: string;
  /** sha256 of everything the model is sent but its name: messages, answer schema, sampling options. */
  hash: string;
  /** The user message (the system message is fixed by the version). */
  text: string;
  temperature: number;
  seed: number;
  numPredict: number;
}

export interface RuleFired {
  rule: string;
  /** `block` stops the trade, `resize` shrinks it, `info` only explains. */
  effect: 'block' | 'resize' | 'info';
  detail: string;
}

export interface RiskDecision {
  symbol: string;
  side: Side;
  approved: boolean;
  quantity: number;
  price: number;
  notional: number;
  rules: RuleFired[];
  /** An approved strategy entry's levels and ladder, for the orders and the protection its fills arm. */
  levels?: EntryLevels;
  /** Entry as resting limit orders (a strategy's ladder): price and share of the quantity. */
  ladder?: LadderRung[];
}

export interface Position {
  symbol: string;
  quantity: number;
  /** Average entry price including fees, for realised PnL. */
  avgPrice: number;
  /** Protective exit levels, armed at entry and owned by the portfolio workflow (domain/risk/exits). */
  protection?: Protection;
  /** When the position was opened, ms UTC. */
  openedAt?: number;
  /** The strategy whose entry opened it, when one did: its exits and capital allocation apply. */
  strategy?: string;
  /** Why its stop cannot rest on the exchange (no native stop orders there): the cycle emulates it. */
  stopEmulated?: string;
  /**
   * Set when the venue refused to sell it as below its minimum (domain/dust.ts): it is worth less than can be
   * traded, so it counts as no position for entries and exposure, and the next entry on the symbol absorbs it.
   */
  dust?: DustMark;
}

/** Why a position cannot be sold, as the venue said once; it stays in the book (it is still worth something). */
export interface DustMark {
  reason: string;
  /** When the venue refused its exit (ms UTC, the cycle's clock). */
  since: number;
  /** The venue's minimum notional and amount, when it named them: above both (with a margin) it is sold again. */
  minNotional?: number;
  minAmount?: number;
}

/** An exit the protective levels triggered but that has not been carried out yet (domain/risk/exits.ts). */
export interface PendingExit {
  rule: 'stop-loss' | 'trailing-stop' | 'take-profit';
  detail: string;
  /** Open time of the candle that triggered it. */
  since: number;
}

export interface Protection {
  /** The initial stop: entry minus stopAtrMultiple x ATR. */
  stop: number;
  takeProfit: number;
  /** Highest high since entry; the trailing stop sits trailDistance below it. */
  highWater: number;
  trailDistance: number;
  /** When set, the trailing stop sits this fraction under the high-water mark instead of trailDistance. */
  trailPct?: number;
  /** Open time of the newest candle already checked, so a candle is never checked twice. */
  checkedThrough: number;
  /** A touched stop or take-profit stays pending, whatever later candles do, until the position is sold. */
  pending?: PendingExit;
}

/** Closed-trade statistics for Kelly sizing, kept by the portfolio. */
export interface TradeStats {
  wins: number;
  losses: number;
  grossWin: number;
  grossLoss: number;
}

/** Limits, their usage, and the portfolio's risk figures after a cycle: the `risk` query's answer. */
export interface RiskReport {
  asOf: number;
  equity: number;
  usage: { limit: string; used: number; max: number; unit: 'fraction' | 'quote' | 'count' }[];
  /** 0 (calm) to 100, from volatility, concentration, correlation and confidence. */
  riskScore: number;
  riskScoreParts: { volatility: number; concentration: number; correlation: number; confidence: number };
  /** One-day 95% historical value at risk of the held positions, in quote currency. */
  valueAtRisk: number;
  valueAtRiskMethod: string;
}

export interface Fill {
  price: number;
  quantity: number;
  fee: number;
  /** Fill time, ms UTC. */
  timestamp: number;
}

/**
 * An order's lifecycle. `submitted`: sent (or about to be) with no answer yet, so a retry must look it up before
 * placing; `open` and `partially_filled`: resting on the book; `unknown`: the exchange may have applied it but
 * neither lookups nor the account's trades and balances could tell (activities/execution/ambiguity.ts): never
 * placed again, its symbol held, looked for again every cycle; the rest are final. `cancelled` and `expired`
 * orders keep the fills they got before (filledQuantity tells whether they were partly filled).
 */
export type OrderStatus = 'submitted' | 'open' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected' | 'expired' | 'unknown';

/** `stop` is a protective stop-market order: it rests until the price trades through stopPrice, then sells (or buys). */
export type OrderType = 'market' | 'limit' | 'stop';

export interface OrderRequest {
  /** Deterministic id derived from the cycle workflow id and the intent: the idempotency key. */
  clientOrderId: string;
  portfolioId: string;
  cycleId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  quantity: number;
  /** Price the decision was sized at; the broker fills at the next price, not this one. */
  referencePrice: number;
  /** Limit orders: the worst price accepted. */
  limitPrice?: number;
  /** Stop orders: the trigger price. */
  stopPrice?: number;
  /** Limit orders: cancelled (status `expired`) when still resting this long after placement, ms. */
  timeInForceMs?: number;
}

export interface OrderResult {
  clientOrderId: string;
  symbol: string;
  side: Side;
  status: OrderStatus;
  requestedQuantity: number;
  filledQuantity: number;
  avgPrice: number;
  fee: number;
  fills: Fill[];
  rejectReason?: string;
  /**
   * Set on an order refused because it is below the venue's minimum (amount or notional): the minimums it named.
   * A sell refused so marks the position as dust (domain/dust.ts).
   */
  belowMinimum?: { notional?: number; amount?: number };
  /** True when a retry found the order already placed and returned it instead of placing again. */
  deduplicated: boolean;
  /** The exchange's own id of a live order (absent for paper and for orders that never reached the exchange). */
  exchangeOrderId?: string;
  /**
   * When the order started resting, ms UTC: the exchange's order time for live orders, the market clock (the
   * cursor's candle) for paper ones. Resting orders are matched against candles after it and expire from it.
   */
  placedAt?: number;
}

/** The durable ledger the portfolio workflow owns. */
export interface PortfolioBook {
  cash: number;
  positions: Record<string, Position>;
  /** Realised PnL since the start of the current UTC day. */
  realizedPnlToday: number;
  /** Equity at the start of the current UTC day, the base for the daily loss limit. */
  dayStartEquity: number;
  /** UTC day (YYYY-MM-DD) the daily figures belong to. */
  day: string;
}

export type CycleStatus = 'completed' | 'failed';

/** Everything one trading cycle saw and decided, persisted as linked rows by the record activity. */
export interface CycleRecord {
  /** The cycle workflow id: unique, and the key every row of the cycle hangs from. */
  cycleId: string;
  portfolioId: string;
  cycleNo: number;
  mode: Mode;
  market: MarketSourceSpec;
  status: CycleStatus;
  /** For a failed cycle: the failure type and message, so a failure is recorded, never lost. */
  error?: string;
  startedAt: number;
  finishedAt: number;
  features: FeatureVector[];
  signals: Signal[];
  verdicts: LlmVerdict[];
  decisions: RiskDecision[];
  /** Orders as the broker returned them; rows and fills are already saved by the execution activity. */
  orders: OrderResult[];
  /** The ledger after the cycle's fills, and the prices it was marked at. */
  book: PortfolioBook;
  prices: Record<string, number>;
  equity: number;
  /** The portfolio's risk figures after the cycle, for metrics. */
  risk?: RiskReport;
  /** The strategy engine's reading: regime and breaker per symbol, every proposal it weighed and why it won or lost. */
  strategies?: Pick<StrategyOutcome, 'regime' | 'breaker' | 'considered'>;
  /** What the operator should hear about, once (an exit the venue refused as under its minimum: dust). */
  events?: { kind: string; symbol: string; time: number; detail: string }[];
}
