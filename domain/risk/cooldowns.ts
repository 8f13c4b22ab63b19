/**
 * Cooldowns per symbol and kind, held by the portfolio workflow as durable timers.
 * - buy: after any trade on a symbol, no new buy on it (no re-entry straight after an exit either);
 * - sell: after a sell, no further signal sell or trim on it;
 * - hold: after a buy, a signal exit waits (a minimum holding period). Protective exits never wait.
 * A price move of more than `overrideMove` since the cooldown began lifts it: the reason to wait is gone.
 */
import type { CooldownPolicy } from '../config';
import type { RuleFired, Side } from '../types';

export type CooldownKind = 'buy' | 'sell' | 'hold';

export interface Cooldown {
  symbol: string;
  kind: CooldownKind;
  /** ms UTC when the timer fires. */
  until: number;
  /** Price when it began, for the override. */
  price: number;
}

export type CooldownBook = Record<string, Cooldown>;

export const cooldownKey = (symbol: string, kind: CooldownKind) => `${symbol}|${kind}`;

export function cooldownsAfterTrade(symbol: string, side: Side, now: number, price: number, policy: CooldownPolicy): Cooldown[] {
  const make = (kind: CooldownKind, ms: number): Cooldown[] => (ms > 0 ? [{ symbol, kind, until: now + ms, price }] : []);
  return side === 'buy' ? [...make('buy', policy.buyMs), ...make('hold', policy.holdMs)] : [...make('buy', policy.buyMs), ...make('sell', policy.sellMs)];
}

/** Whether a cooldown holds a trade back now, with the rule to record either way. */
export function cooldownCheck(
  book: CooldownBook, symbol: string, kind: CooldownKind, now: number, price: number, overrideMove: number,
): { blocked: boolean; rule?: RuleFired } {
  const c = book[cooldownKey(symbol, kind)];
  if (!c || c.until <= now) return { blocked: false };
  const moved = c.price > 0 ? Math.abs(price / c.price - 1) : 0;
  const left = `${Math.ceil((c.until - now) / 60_000)} min left`;
  if (moved > overrideMove) {
    return { blocked: false, rule: { rule: 'cooldown-override', effect: 'info', detail: `${kind} cooldown on ${symbol} lifted: price moved ${(moved * 100).toFixed(2)}% (> ${(overrideMove * 100).toFixed(2)}%) since it began (${left})` } };
  }
  return { blocked: true, rule: { rule: `${kind}-cooldown`, effect: 'block', detail: `${symbol} ${kind} cooldown until ${new Date(c.until).toISOString()} (${left}; price moved ${(moved * 100).toFixed(2)}%)` } };
}

/**
 * Reads cooldowns saved by the first version (symbol -> until, buys only) into the current shape, so a portfolio
 * continued from an older run keeps its open cooldowns.
 */
export function upgradeCooldowns(saved: Record<string, number | Cooldown>): CooldownBook {
  const book: CooldownBook = {};
  for (const [key, value] of Object.entries(saved)) {
    if (typeof value === 'number') book[cooldownKey(key, 'buy')] = { symbol: key, kind: 'buy', until: value, price: 0 };
    else book[key] = value;
  }
  return book;
}
