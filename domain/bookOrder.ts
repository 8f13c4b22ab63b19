/**
 * Books an order's fills into the portfolio and keeps its protective exits right: the step every fill goes
 * through, in the cycle workflow, the liquidation and the tests alike. Pure.
 */
import type { RiskLimits } from './config';
import { applyFill } from './ledger';
import type { MarketStats } from './marketStats';
import { armFromLevels, armProtection } from './risk/exits';
import type { EntryLevels, OrderResult, PortfolioBook, Side } from './types';

/** One fill as the portfolio's statistics need it. */
export interface CycleTrade {
  symbol: string;
  side: Side;
  price: number;
  notional: number;
  /** Realised PnL of a sell (net of both legs' fees); 0 for buys. */
  realizedPnl: number;
  /** The fill itself, for the backtester's trade list (absent on trades recorded before these fields existed). */
  quantity?: number;
  fee?: number;
  /** Fill time, ms UTC. */
  time?: number;
  clientOrderId?: string;
}

/**
 * Books an order's fills and arms a new position's protective exits at its entry: from the strategy's levels when
 * the entry came from one, else from the current ATR.
 */
export function bookOrder(
  book: PortfolioBook, result: OrderResult, stats: MarketStats | undefined, limits: RiskLimits, now: number, trades: CycleTrade[], levels?: EntryLevels,
): PortfolioBook {
  let next = book;
  for (const fill of result.fills) {
    const realizedBefore = next.realizedPnlToday;
    next = applyFill(next, result.symbol, result.side, fill);
    trades.push({
      symbol: result.symbol, side: result.side, price: fill.price, notional: fill.price * fill.quantity,
      realizedPnl: result.side === 'sell' ? next.realizedPnlToday - realizedBefore : 0,
      quantity: fill.quantity, fee: fill.fee, time: fill.timestamp, clientOrderId: result.clientOrderId,
    });
  }
  const position = next.positions[result.symbol];
  const held = book.positions[result.symbol];
  // Dust the entry absorbs is no position of its own (domain/dust.ts): the whole is armed, dated and tagged afresh.
  const before = held?.dust ? undefined : held;
  if (result.side === 'buy' && position && result.filledQuantity > 0) {
    // A new position is armed at its entry (fees included, so the stop is never further than sized for); a top-up
    // keeps the position's stop, which is what the risk assessment sized it against.
    const atr = stats?.atr ?? NaN;
    const armed = stats && (levels ? armFromLevels(position.avgPrice, levels, atr, stats.time, limits) : armProtection(position.avgPrice, atr, stats.time, limits));
    const protection = before?.protection ?? armed;
    const strategy = before ? before.strategy : levels?.strategy;
    // Market time of the first fill, not the clock of whoever books it: a replay's workflow runs years after its
    // candles, and strategies measure holding time against the candles.
    const openedAt = result.fills[0]?.timestamp ?? now;
    next = {
      ...next,
      positions: { ...next.positions, [result.symbol]: { ...position, protection, openedAt: before?.openedAt ?? openedAt, ...(strategy ? { strategy } : {}) } },
    };
  }
  return next;
}
