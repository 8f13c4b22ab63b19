/**
 * The execution port: orders and the account, paper or live. Implemented by activities/execution (the paper broker
 * over the order store, or ccxt), and in process by the backtester with the paper broker's own rules.
 */
import type { Balances, PaperTerms } from '../paperBroker';
import type { AccountSnapshot, Reconciliation } from '../reconcile';
import type { Fill, MarketCursor, Mode, OrderRequest, OrderResult, PortfolioBook, Side } from '../types';

/** Where an order lives: the portfolio's mode and market (and, for paper, the market clock and costs). */
export interface OrderVenueInput {
  mode: Mode;
  market: string;
  timeframe: string;
  /** The cycle's market cursor: the paper broker's clock. */
  cursor: MarketCursor;
  paper: PaperTerms;
}

export interface PlaceOrderInput extends OrderVenueInput {
  request: OrderRequest;
  /** The portfolio's cash and position in the symbol: what paper orders may spend (live: the exchange decides). */
  balances: Balances;
}

export interface PollOrderInput extends OrderVenueInput {
  clientOrderId: string;
  /** Fills of this order the caller already applied to its book; `newFills` are the ones after them. Default 0. */
  knownFillCount?: number;
  /**
   * Live only: keep polling with exponential backoff (0.5 s doubling to 10 s, heartbeating) while the order rests
   * unchanged, for up to this long. 0 (default): one look. Give the activity a heartbeat timeout when using it.
   */
  waitMs?: number;
}

export interface CancelOrderInput extends OrderVenueInput {
  clientOrderId: string;
  knownFillCount?: number;
}

export interface OrderUpdate {
  order: OrderResult;
  /** Fills the caller has not applied yet (after knownFillCount). */
  newFills: Fill[];
}

export interface AccountInput {
  mode: Mode;
  market: string;
  portfolioId: string;
  symbols: string[];
  /** Paper: the portfolio's starting cash, the base of the paper account. */
  initialCash: number;
  /**
   * Paper: only fills of orders whose cycle id starts with this count, i.e. this instance of the portfolio. A fresh
   * portfolio reusing an id must not inherit an earlier one's positions from the database.
   */
  cyclePrefix?: string;
}

export interface ReconcileAccountInput extends AccountInput {
  /** The cycle reconciling, so a retried activity rewrites its drift rows instead of duplicating them. */
  cycleId?: string;
  book: PortfolioBook;
  /** Prices for positions the book did not know about. */
  prices?: Record<string, number>;
}

export interface ReconcileAccountResult extends Reconciliation {
  snapshot: AccountSnapshot;
  /** Live: why the account's snapshot was not adopted (the book kept, an incident recorded), when it was not. */
  suspect?: string[];
  /** Live: drifts a second snapshot did not confirm, not adopted. */
  unconfirmed?: Reconciliation['drifts'];
  /** Live: drifts on assets an order of unknown outcome may have moved, not adopted until it is resolved. */
  withheld?: Reconciliation['drifts'];
}

/** What an exchange offers for a stop on a market. */
export type NativeStopKind = 'stop-market' | 'stop-limit' | 'none';

export type ProtectiveStopResult =
  | { emulated: false; kind: 'paper' | Exclude<NativeStopKind, 'none'>; order: OrderResult }
  | {
      emulated: true;
      /** Why the exchange cannot hold the stop: the portfolio workflow must watch the price (domain/stops.ts). */
      reason: string;
      stop: { clientOrderId: string; symbol: string; side: Side; quantity: number; triggerPrice: number };
    };

export interface CancelAllOpenOrdersInput extends OrderVenueInput {
  portfolioId: string;
  symbols: string[];
}

export interface ForeignOrder {
  symbol: string;
  exchangeOrderId: string;
  clientOrderId?: string;
  status: string;
}

export interface CancelAllResult {
  /** The portfolio's own orders that were resting, in their final state. */
  orders: OrderResult[];
  /** Open orders on the account this system did not place (manual, another bot), cancelled too. */
  foreign: ForeignOrder[];
}

export interface ExecutionPort {
  /** The book corrected to the account (the exchange, or the paper broker's record of fills), drift recorded. */
  reconcileAccount(input: ReconcileAccountInput): Promise<ReconcileAccountResult>;
  /** Places an order at most once (its client order id is looked up first) and returns its state, saved. */
  placeOrder(input: PlaceOrderInput): Promise<OrderResult>;
  pollOrder(input: PollOrderInput): Promise<OrderUpdate>;
  /** Cancels a resting order; the fills it finds first are in `newFills`. */
  cancelOrder(input: CancelOrderInput): Promise<OrderUpdate>;
  /** A position's stop as a resting stop order, or why it must be emulated by the cycle. */
  placeProtectiveStop(input: PlaceOrderInput): Promise<ProtectiveStopResult>;
  /** Every resting order of the portfolio cancelled (the liquidation's first step). */
  cancelAllOpenOrders(input: CancelAllOpenOrdersInput): Promise<CancelAllResult>;
}
