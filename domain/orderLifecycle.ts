/**
 * Order lifecycle rules shared by the execution activities (paper and live) and the workflows: which statuses are
 * final, and which fills a caller has not applied yet. Pure, so workflows can use it.
 */
import type { Fill, OrderResult, OrderStatus } from './types';

const FINAL: ReadonlySet<OrderStatus> = new Set(['filled', 'cancelled', 'rejected', 'expired']);

/** A final order never changes again: no more fills, nothing to poll or cancel. */
export function isFinal(status: OrderStatus): boolean {
  return FINAL.has(status);
}

/** Resting on a book (paper or exchange): it can still fill, and it can be cancelled. */
export function isResting(status: OrderStatus): boolean {
  return status === 'open' || status === 'partially_filled';
}

/**
 * The fills of `order` beyond the first `knownFillCount`, i.e. those the caller has not applied to its book yet.
 * Fills are append-only and kept in the order they happened, so the count is all a caller needs to remember.
 */
export function unappliedFills(order: OrderResult, knownFillCount: number): Fill[] {
  if (!Number.isInteger(knownFillCount) || knownFillCount < 0) {
    throw new Error(`knownFillCount must be a whole number >= 0, got ${knownFillCount}`);
  }
  if (knownFillCount > order.fills.length) {
    throw new Error(`order ${order.clientOrderId} has ${order.fills.length} fills, fewer than the ${knownFillCount} already applied`);
  }
  return order.fills.slice(knownFillCount);
}

/** Filled quantity, volume-weighted average price and total fee of a list of fills. */
export function summarizeFills(fills: readonly Fill[]): { filledQuantity: number; avgPrice: number; fee: number } {
  let quantity = 0;
  let notional = 0;
  let fee = 0;
  for (const f of fills) {
    quantity += f.quantity;
    notional += f.price * f.quantity;
    fee += f.fee;
  }
  return { filledQuantity: quantity, avgPrice: quantity > 0 ? notional / quantity : 0, fee };
}

/** Status of a resting order from how much of it has filled. */
export function restingStatus(requested: number, filled: number): OrderStatus {
  // Relative tolerance: summed float fills rarely add up to the exact requested quantity.
  if (filled >= requested * (1 - 1e-9)) return 'filled';
  return filled > 0 ? 'partially_filled' : 'open';
}
