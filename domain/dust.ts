/**
 * Dust: a position the venue will not sell because it is below its minimum order (a partial fill under it, a fee
 * taken in the coin, lot-size rounding). The venue is the authority: a sell it refuses as below its minimum
 * (OrderResult.belowMinimum) marks the position as dust once, with the venue's reason, and from then on
 *   - it is not a position for entries: it blocks none, counts towards no position limit and is no exposure
 *     (it stays in the equity: it is worth something);
 *   - no exit is proposed for it, so no refusal repeats every cycle; a stop it touched stays pending;
 *   - the next entry on the symbol absorbs it (domain/bookOrder.ts): the combined position gets the entry's
 *     protective levels and is sold as one;
 *   - once the price makes it worth the venue's minimum again (with a margin), the mark is lifted and its own
 *     levels (a pending stop included) apply again.
 * Pure: the cycle workflow and the backtester run it.
 */
import type { DustMark, OrderResult, PortfolioBook, Position } from './types';

/** How far above the venue's minimum dust must be worth before a sale is tried again (price moves, rounding). */
export const DUST_RELEASE_MARGIN = 0.05;

export function isDust(p: Position | undefined): boolean {
  return p?.dust !== undefined;
}

/** Quantity of the symbol that counts as a position: none when it is dust. */
export function tradableQuantity(book: PortfolioBook, symbol: string): number {
  const p = book.positions[symbol];
  return p && p.dust === undefined ? p.quantity : 0;
}

/** Number of positions that are not dust. */
export function positionCount(book: PortfolioBook): number {
  let n = 0;
  for (const s in book.positions) if (book.positions[s].dust === undefined) n++;
  return n;
}

/** Whether a refused sell was refused for being below the venue's minimum. */
export function refusedAsBelowMinimum(result: OrderResult): boolean {
  return result.side === 'sell' && result.status === 'rejected' && result.belowMinimum !== undefined;
}

/** The book with the symbol's position marked as dust, with the venue's reason and minimums. */
export function markDust(book: PortfolioBook, result: OrderResult, now: number): PortfolioBook {
  const held = book.positions[result.symbol];
  if (!held) return book;
  const mark: DustMark = { reason: result.rejectReason ?? 'below the venue minimum', since: now };
  if (result.belowMinimum?.notional !== undefined) mark.minNotional = result.belowMinimum.notional;
  if (result.belowMinimum?.amount !== undefined) mark.minAmount = result.belowMinimum.amount;
  return { ...book, positions: { ...book.positions, [result.symbol]: { ...held, dust: mark } } };
}

/** Whether marked dust is worth a sale again at `price`: only when the venue named its minimums. */
export function sellableAgain(p: Position, price: number | undefined): boolean {
  const mark = p.dust;
  if (!mark || price === undefined || (mark.minNotional === undefined && mark.minAmount === undefined)) return false;
  const margin = 1 + DUST_RELEASE_MARGIN;
  return (mark.minNotional === undefined || p.quantity * price >= mark.minNotional * margin)
    && (mark.minAmount === undefined || p.quantity >= mark.minAmount * margin);
}

/** Lifts the mark of dust that is worth a sale again; returns the book and the symbols released. */
export function releaseDust(book: PortfolioBook, prices: Record<string, number>): { book: PortfolioBook; released: string[] } {
  const released: string[] = [];
  let positions: Record<string, Position> | undefined;
  for (const symbol in book.positions) {
    const p = book.positions[symbol];
    if (!sellableAgain(p, prices[symbol])) continue;
    positions ??= { ...book.positions };
    const { dust: _dust, ...rest } = p;
    positions[symbol] = rest;
    released.push(symbol);
  }
  return positions ? { book: { ...book, positions }, released } : { book, released };
}
