/**
 * Portfolio accounting: the one place cash, positions and realised PnL change. Pure, so the
 * portfolio workflow (durable state), the paper broker checks and the tests all share it.
 */
import type { Fill, PortfolioBook, Position, Side } from './types';

/** Quantities below this are dust left by float rounding, not a position. */
const DUST = 1e-12;

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The trading day a moment belongs to, for days that start `offsetMs` after 00:00 UTC. */
export function tradingDay(ms: number, offsetMs = 0): string {
  return utcDay(ms - offsetMs);
}

/** When the trading day after the one containing `ms` starts. */
export function nextTradingDayStart(ms: number, offsetMs = 0): number {
  const day = 86_400_000;
  return Math.floor((ms - offsetMs) / day) * day + day + offsetMs;
}

export function newBook(cash: number, nowMs: number): PortfolioBook {
  return { cash, positions: {}, realizedPnlToday: 0, dayStartEquity: cash, day: utcDay(nowMs) };
}

export function positionValue(book: PortfolioBook, symbol: string, prices: Record<string, number>): number {
  const p = book.positions[symbol];
  if (!p) return 0;
  return p.quantity * (prices[symbol] ?? p.avgPrice);
}

export function exposure(book: PortfolioBook, prices: Record<string, number>): number {
  return Object.keys(book.positions).reduce((sum, s) => sum + positionValue(book, s, prices), 0);
}

export function equity(book: PortfolioBook, prices: Record<string, number>): number {
  return book.cash + exposure(book, prices);
}

export class LedgerError extends Error {}

/**
 * Applies one fill. A buy's fee goes into the average price so that realised PnL on the sell is net of
 * both fees. Refuses fills that would make cash or a position negative: those mean a broker bug.
 */
export function applyFill(book: PortfolioBook, symbol: string, side: Side, fill: Fill): PortfolioBook {
  if (!(fill.quantity > 0) || !(fill.price > 0) || !(fill.fee >= 0)) {
    throw new LedgerError(`${symbol} ${side} fill has invalid numbers: ${JSON.stringify(fill)}`);
  }
  const positions = { ...book.positions };
  const held: Position = positions[symbol] ?? { symbol, quantity: 0, avgPrice: 0 };
  const notional = fill.price * fill.quantity;
  if (side === 'buy') {
    const cost = notional + fill.fee;
    if (cost > book.cash * (1 + 1e-9)) {
      throw new LedgerError(`${symbol} buy costs ${cost.toFixed(8)} but cash is ${book.cash.toFixed(8)}`);
    }
    const quantity = held.quantity + fill.quantity;
    positions[symbol] = { symbol, quantity, avgPrice: (held.quantity * held.avgPrice + cost) / quantity };
    return { ...book, cash: book.cash - cost, positions };
  }
  if (fill.quantity > held.quantity * (1 + 1e-9)) {
    throw new LedgerError(`${symbol} sell of ${fill.quantity} exceeds the position of ${held.quantity}`);
  }
  const proceeds = notional - fill.fee;
  const realized = proceeds - held.avgPrice * fill.quantity;
  const remaining = held.quantity - fill.quantity;
  if (remaining > DUST) positions[symbol] = { ...held, quantity: remaining };
  else delete positions[symbol];
  return { ...book, cash: book.cash + proceeds, positions, realizedPnlToday: book.realizedPnlToday + realized };
}

/** Starts a new UTC day: daily figures restart from the equity at the roll. */
export function rollDay(book: PortfolioBook, nowMs: number, markedEquity: number, offsetMs = 0): PortfolioBook {
  const day = tradingDay(nowMs, offsetMs);
  if (day === book.day) return book;
  return { ...book, day, realizedPnlToday: 0, dayStartEquity: markedEquity };
}
