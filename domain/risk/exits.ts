/**
 * Protective exits: stop-loss at stopAtrMultiple x ATR under the entry, take-profit at rewardToRisk times that
 * distance above it, and a trailing stop trailingAtrMultiple x ATR under the highest high since entry. The
 * portfolio checks them every cycle against each new candle; the backtester runs the same function intrabar.
 *
 * Conservative rule when one candle touches both the stop and the take-profit: the stop is assumed to have
 * come first. The trailing level used for a candle is the one set by earlier candles: a candle's own high
 * never raises the stop that its own low is compared with (the order inside a candle is unknown).
 */
import type { RiskLimits } from '../config';
import type { EntryLevels, PendingExit, Protection, RuleFired } from '../types';

export interface CandleRange {
  time: number;
  open: number;
  high: number;
  low: number;
}

export interface ExitHit {
  rule: 'stop-loss' | 'trailing-stop' | 'take-profit';
  /** The price the exit is assumed to trade at: the level, or the open when the candle gapped through it. */
  price: number;
  detail: string;
}

export function armProtection(entryPrice: number, atr: number, candleTime: number, limits: RiskLimits): Protection | undefined {
  if (!(atr > 0) || !(entryPrice > 0)) return undefined;
  const distance = limits.stopAtrMultiple * atr;
  return {
    stop: entryPrice - distance,
    takeProfit: entryPrice + limits.rewardToRisk * distance,
    highWater: entryPrice,
    trailDistance: limits.trailingAtrMultiple * atr,
    checkedThrough: candleTime,
  };
}

/**
 * Protection from a strategy's own levels; a level it leaves out comes from the ATR defaults, except the trailing
 * stop: a strategy that names none gets none (trailPct 1 never binds), as its exits were designed without one.
 */
export function armFromLevels(entryPrice: number, levels: EntryLevels, atr: number, candleTime: number, limits: RiskLimits): Protection | undefined {
  if (!(entryPrice > 0)) return undefined;
  const fallback = armProtection(entryPrice, atr, candleTime, limits);
  const stop = levels.stop ?? fallback?.stop;
  if (stop === undefined || !(stop < entryPrice)) return fallback;
  const takeProfit = levels.takeProfit ?? entryPrice + limits.rewardToRisk * (entryPrice - stop);
  return { stop, takeProfit, highWater: entryPrice, trailDistance: entryPrice, trailPct: levels.trailingPct ?? 1, checkedThrough: candleTime };
}

export function effectiveStop(p: Protection): { level: number; trailing: boolean } {
  const trail = p.trailPct !== undefined ? p.highWater * (1 - p.trailPct) : p.highWater - p.trailDistance;
  return trail > p.stop ? { level: trail, trailing: true } : { level: p.stop, trailing: false };
}

/** Checks one candle; returns the exit it triggers (if any) and the protection to carry to the next candle. */
export function checkCandle(p: Protection, candle: CandleRange): { hit: ExitHit | null; next: Protection } {
  if (candle.time <= p.checkedThrough) return { hit: null, next: p };
  const { level, trailing } = effectiveStop(p);
  const rule = trailing ? 'trailing-stop' : 'stop-loss';
  const next = carried(p, Math.max(p.highWater, candle.high), candle.time);
  if (candle.open <= level) {
    return { hit: { rule, price: candle.open, detail: `opened at ${candle.open} through the ${rule} at ${level.toFixed(6)}` }, next };
  }
  if (candle.low <= level) {
    return { hit: { rule, price: level, detail: `low ${candle.low} touched the ${rule} at ${level.toFixed(6)}` }, next };
  }
  if (candle.high >= p.takeProfit) {
    const price = Math.max(p.takeProfit, candle.open);
    return { hit: { rule: 'take-profit', price, detail: `high ${candle.high} reached the take-profit at ${p.takeProfit.toFixed(6)}` }, next };
  }
  return { hit: null, next };
}

/**
 * The levels carried to the next candle, copied field by field: they are rebuilt on every candle from the last
 * ones, and V8 copies a spread of a spread slowly (see domain/ledger.ts). The table fails to compile when
 * Protection gains a field this misses.
 */
const PROTECTION_FIELDS: Record<keyof Protection, true> = {
  stop: true, takeProfit: true, highWater: true, trailDistance: true, trailPct: true, checkedThrough: true, pending: true,
};
void PROTECTION_FIELDS;

function carried(p: Protection, highWater: number, checkedThrough: number): Protection {
  const next: Protection = { stop: p.stop, takeProfit: p.takeProfit, highWater, trailDistance: p.trailDistance, checkedThrough };
  if (p.trailPct !== undefined) next.trailPct = p.trailPct;
  if (p.pending !== undefined) next.pending = p.pending;
  return next;
}

/** The levels with an exit marked as pending (the first one that fired is kept). */
export function withPending(p: Protection, hit: ExitHit, candleTime: number): Protection {
  if (p.pending) return p;
  return { ...p, pending: { rule: hit.rule, detail: hit.detail, since: candleTime } };
}

/** The rule a pending exit reports on the cycles after the one that triggered it. */
export function pendingRule(p: PendingExit): RuleFired {
  return { rule: p.rule, effect: 'info', detail: `${p.detail} at ${new Date(p.since).toISOString()}; still pending: the position is sold on the next cycle that can` };
}

export function exitRule(hit: ExitHit): RuleFired {
  return { rule: hit.rule, effect: 'info', detail: hit.detail };
}
