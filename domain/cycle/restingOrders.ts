/**
 * Orders that rest on the book across cycles (limit entries, a strategy's ladder of limit buys): the portfolio
 * keeps them in its durable state, every cycle brings them up to date, books their new fills, and cancels those
 * that outlived their time in force. While one rests, its symbol gets no other intent, and what it could still
 * spend (a buy's cash, a sell's coins) is reserved so no other order counts on it.
 */
import type { EntryOrders } from '../config';
import { clientOrderId } from '../ids';
import { isFinal } from '../orderLifecycle';
import type { LadderRung } from '../strategies/types';
import type { EntryLevels, Fill, OrderRequest, OrderResult, OrderStatus, PortfolioBook, RiskDecision } from '../types';

export interface RestingOrder {
  request: OrderRequest;
  status: OrderStatus;
  /** Fills already booked into the portfolio (an order's fills are append-only). */
  bookedFills: number;
  filledQuantity: number;
  /** When it started resting, on the order's own clock: the market cursor for paper, exchange time for live. */
  placedAt: number;
  /** A strategy entry's levels, armed by its first fill. */
  levels?: EntryLevels;
}


/** Quote and coins that resting orders may still spend, which new decisions must not count on. */
export function reservedBy(orders: readonly RestingOrder[], feeRate: number): { cash: number; coins: Record<string, number> } {
  let cash = 0;
  const coins: Record<string, number> = {};
  for (const o of orders) {
    const left = Math.max(0, o.request.quantity - o.filledQuantity);
    if (o.request.side === 'buy') cash += left * (o.request.limitPrice ?? o.request.referencePrice) * (1 + feeRate);
    else coins[o.request.symbol] = (coins[o.request.symbol] ?? 0) + left;
  }
  return { cash, coins };
}

/** The book as new decisions should see it: cash and coins promised to resting orders taken out. */
export function spendableBook(book: PortfolioBook, orders: readonly RestingOrder[], feeRate: number): PortfolioBook {
  if (orders.length === 0) return book;
  const reserved = reservedBy(orders, feeRate);
  return { ...book, cash: Math.max(0, book.cash - reserved.cash) };
}

/**
 * The orders that carry out an approved decision. A strategy's ladder becomes one limit order per rung, each
 * with its share of the quantity; a buy under a limit policy becomes one limit order; anything else, and every
 * exit, is one market order (an exit must not wait for a price).
 *
 * `minNotional`: no rung is placed under it (a venue refuses it, and its fill alone could never be sold): a ladder
 * too small for all its rungs keeps the nearest ones it can fill to that size, their weights scaled to the whole.
 */
export function ordersFor(decision: RiskDecision, ctx: { cycleId: string; portfolioId: string; policy: EntryOrders; minNotional?: number }): OrderRequest[] {
  const base = { portfolioId: ctx.portfolioId, cycleId: ctx.cycleId, symbol: decision.symbol, side: decision.side, referencePrice: decision.price };
  const id = clientOrderId(ctx.cycleId, decision.symbol, decision.side);
  if (decision.side === 'buy' && decision.ladder && decision.ladder.length > 0) {
    const ladder = rungsAtLeast(decision.ladder, decision.notional, ctx.minNotional ?? 0);
    return ladder.map((rung, i) => ({
      ...base, clientOrderId: clientOrderId(ctx.cycleId, decision.symbol, `${decision.side}-rung-${i}`), type: 'limit' as const,
      quantity: (decision.notional * rung.weight) / rung.price, limitPrice: rung.price, timeInForceMs: ctx.policy.timeInForceMs,
    }));
  }
  if (decision.side === 'buy' && ctx.policy.type === 'limit') {
    const limitPrice = decision.price * (1 - ctx.policy.offsetBps / 10_000);
    return [{ ...base, clientOrderId: id, type: 'limit', quantity: decision.notional / limitPrice, limitPrice, timeInForceMs: ctx.policy.timeInForceMs }];
  }
  return [{ ...base, clientOrderId: id, type: 'market', quantity: decision.quantity }];
}

/** The ladder's nearest rungs, as many as `notional` fills to at least `minNotional` each (one at least). */
function rungsAtLeast(ladder: readonly LadderRung[], notional: number, minNotional: number): readonly LadderRung[] {
  if (!(minNotional > 0) || ladder.every((r) => notional * r.weight >= minNotional)) return ladder;
  const count = Math.max(1, Math.min(ladder.length, Math.floor(notional / minNotional)));
  const kept = ladder.slice(0, count);
  const total = kept.reduce((s, r) => s + r.weight, 0);
  return kept.map((r) => ({ ...r, weight: r.weight / total }));
}

/** What a resting order became, and the part of it the book has not seen yet. */
export function advance(order: RestingOrder, latest: OrderResult, newFills: Fill[]): { next: RestingOrder | null; unbooked: OrderResult } {
  const unbooked: OrderResult = {
    ...latest, fills: newFills, filledQuantity: newFills.reduce((s, f) => s + f.quantity, 0),
  };
  const next = isFinal(latest.status)
    ? null
    : { ...order, status: latest.status, bookedFills: order.bookedFills + newFills.length, filledQuantity: latest.filledQuantity };
  return { next, unbooked };
}

/** Whether a resting order has outlived its time in force on its own clock. */
export function outlived(order: RestingOrder, clock: number): boolean {
  return order.request.timeInForceMs !== undefined && clock - order.placedAt >= order.request.timeInForceMs;
}

/** A protective stop order resting for the symbol, if one does. */
export function restingStop(orders: readonly RestingOrder[], symbol: string): RestingOrder | undefined {
  return orders.find((o) => o.request.symbol === symbol && o.request.type === 'stop');
}

/** Relative change of a stop's trigger below which a resting stop is left alone rather than replaced. */
export const STOP_REPLACE_THRESHOLD = 0.001;

/**
 * What to do about one position's native stop: nothing, place one, or replace the one resting (its quantity no
 * longer matches the position, or the trailing stop rose past the threshold). A stop is never lowered.
 */
export function stopAction(current: RestingOrder | undefined, quantity: number, trigger: number): 'keep' | 'place' | 'replace' {
  if (!current) return 'place';
  const left = current.request.quantity - current.filledQuantity;
  const sameSize = Math.abs(left - quantity) <= quantity * 1e-9;
  const raised = trigger > (current.request.stopPrice ?? 0) * (1 + STOP_REPLACE_THRESHOLD);
  return sameSize && !raised ? 'keep' : 'replace';
}
