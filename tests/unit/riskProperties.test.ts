/**
 * Property-based: no sequence of signals, LLM verdicts, price moves and fills can take the portfolio past a limit.
 * Each step runs the cycle's own pure code path (protective exits, planning, assessment, bookOrder) with random
 * inputs and random but valid limits, filling at the decision price worsened by fees and slippage no larger than
 * the cost the assessment reserved for.
 */
import fc from 'fast-check';
import { DEFAULT_RISK_LIMITS, riskLimitsSchema, type RiskLimits } from '../../domain/config';
import { bookOrder, type CycleTrade } from '../../domain/bookOrder';
import { equity, exposure, newBook, positionValue } from '../../domain/ledger';
import type { MarketStats } from '../../domain/marketStats';
import {
  assessRisk, cooldownCheck, cooldownKey, cooldownsAfterTrade, planTrades, portfolioHeat, protectiveExits, type CooldownBook,
} from '../../domain/risk';
import type { LlmVerdict, OrderResult, PortfolioBook, Signal, TradeStats } from '../../domain/types';

const SYMBOLS = ['AAA/USDT', 'BBB/USDT', 'CCC/USDT', 'DDD/USDT'];
const HOUR = 3_600_000;
const EPS = 1e-7;
const FEE = 0.001;
const SLIP = 0.0005;
const COST = FEE + SLIP;

const limitsArb: fc.Arbitrary<RiskLimits> = fc
  .record({
    maxAssetWeight: fc.double({ min: 0.05, max: 0.5, noNaN: true }),
    maxTotalExposure: fc.double({ min: 0.3, max: 0.9, noNaN: true }),
    cashBuffer: fc.double({ min: 0, max: 0.1, noNaN: true }),
    maxConcurrentPositions: fc.integer({ min: 1, max: 4 }),
    maxTradeNotional: fc.double({ min: 200, max: 5_000, noNaN: true }),
    maxPortfolioHeat: fc.double({ min: 0.02, max: 0.3, noNaN: true }),
    riskPerTrade: fc.double({ min: 0.002, max: 0.05, noNaN: true }),
    kellyCap: fc.double({ min: 0.05, max: 0.5, noNaN: true }),
    minConfidence: fc.double({ min: 0, max: 0.6, noNaN: true }),
  })
  .map((r) => ({
    ...DEFAULT_RISK_LIMITS, ...r,
    maxAssetWeight: Math.min(r.maxAssetWeight, r.maxTotalExposure),
    trimAbove: Math.min(1, Math.min(r.maxAssetWeight, r.maxTotalExposure) + 0.02),
    maxDailyNotional: r.maxTradeNotional * 4,
  }))
  .filter((l) => riskLimitsSchema.safeParse(l).success);

const stepArb = fc.record({
  advanceMs: fc.integer({ min: 0, max: 6 * HOUR }),
  moves: fc.array(fc.double({ min: 0.8, max: 1.25, noNaN: true }), { minLength: SYMBOLS.length, maxLength: SYMBOLS.length }),
  atrFractions: fc.array(fc.double({ min: 0.001, max: 0.1, noNaN: true }), { minLength: SYMBOLS.length, maxLength: SYMBOLS.length }),
  ups: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: SYMBOLS.length, maxLength: SYMBOLS.length }),
  downs: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: SYMBOLS.length, maxLength: SYMBOLS.length }),
  approvals: fc.array(fc.constantFrom(0, 0.5, 1), { minLength: SYMBOLS.length, maxLength: SYMBOLS.length }),
  returns: fc.array(fc.double({ min: -0.05, max: 0.05, noNaN: true }), { minLength: 0, maxLength: 40 }),
  // Entries fill in full or only partly (sub-minimum slivers included), as an exchange's remainder can be cancelled.
  fillFractions: fc.array(fc.oneof(fc.constant(1), fc.double({ min: 0.0001, max: 1, noNaN: true })), { minLength: SYMBOLS.length, maxLength: SYMBOLS.length }),
});

interface World {
  book: PortfolioBook;
  prices: Record<string, number>;
  cooldowns: CooldownBook;
  now: number;
  dailyHalt: boolean;
  dailyNotional: number;
  tradeStats: TradeStats;
}

function fill(d: { symbol: string; side: 'buy' | 'sell'; quantity: number; price: number }, now: number, fraction = 1): OrderResult {
  const price = d.side === 'buy' ? d.price * (1 + SLIP) : d.price * (1 - SLIP);
  const quantity = d.side === 'buy' ? d.quantity * fraction : d.quantity;
  const fee = price * quantity * FEE;
  return {
    clientOrderId: `${d.symbol}-${now}`, symbol: d.symbol, side: d.side, status: quantity < d.quantity ? 'cancelled' : 'filled', requestedQuantity: d.quantity,
    filledQuantity: quantity, avgPrice: price, fee, fills: [{ price, quantity, fee, timestamp: now }], deduplicated: false,
  };
}

function runStep(world: World, s: { advanceMs: number; moves: number[]; atrFractions: number[]; ups: number[]; downs: number[]; approvals: number[]; returns: number[]; fillFractions: number[] }, limits: RiskLimits): World {
  const now = world.now + s.advanceMs;
  const stats: Record<string, MarketStats> = {};
  SYMBOLS.forEach((symbol, i) => {
    const previous = world.prices[symbol];
    const price = previous * s.moves[i];
    stats[symbol] = {
      symbol, time: now, open: previous, high: Math.max(previous, price) * 1.001, low: Math.min(previous, price) * 0.999, price,
      atr: price * s.atrFractions[i], returns: s.returns.map((r, k) => r * (1 + i * 0.1 * (k % 3))), barsPerDay: 24,
    };
  });
  const prices = Object.fromEntries(SYMBOLS.map((sym) => [sym, stats[sym].price]));
  const guarded = protectiveExits(world.book, stats, limits);
  const signals: Signal[] = SYMBOLS.map((symbol, i) => {
    const total = s.ups[i] + s.downs[i] || 1;
    const up = s.ups[i] / Math.max(1, total);
    const down = s.downs[i] / Math.max(1, total);
    return { symbol, asOf: now, direction: up > down ? 'up' : 'down', confidence: Math.max(up, down), probabilities: { up, down, flat: 1 - up - down }, modelVersion: 'p' };
  });
  const plan = planTrades(signals, { book: guarded.book, stats, limits, cooldowns: world.cooldowns, now, dailyHalt: world.dailyHalt, exits: guarded.exits });
  const verdicts: Record<string, LlmVerdict> = Object.fromEntries(SYMBOLS.map((symbol, i) => [symbol, {
    symbol, approve: s.approvals[i] > 0, confidence: 0.5, reason: 'r', model: 'm', fallback: s.approvals[i] === 0.5,
    sizeMultiplier: s.approvals[i], latencyMs: 1,
  }]));
  const before = guarded.book;
  const eqBefore = equity(before, prices);
  const decisions = assessRisk(plan.proposals, verdicts, { book: before, stats, limits, costRate: COST, tradeStats: world.tradeStats, dailyNotional: world.dailyNotional });

  const trades: CycleTrade[] = [];
  let book = before;
  const approved = decisions.filter((d) => d.approved).sort((a, b) => Number(a.side === 'buy') - Number(b.side === 'buy'));
  for (const d of approved) book = bookOrder(book, fill(d, now, s.fillFractions[SYMBOLS.indexOf(d.symbol)]), stats[d.symbol], limits, now, trades);

  // The invariants.
  const buys = approved.filter((d) => d.side === 'buy');
  expect(book.cash).toBeGreaterThanOrEqual(-EPS);
  for (const p of Object.values(book.positions)) expect(p.quantity).toBeGreaterThan(0);
  if (buys.length > 0) {
    expect(world.dailyHalt || plan.dailyLossLimitHit).toBe(false);
    for (const d of buys) {
      expect(positionValue(book, d.symbol, prices)).toBeLessThanOrEqual(limits.maxAssetWeight * eqBefore * (1 + EPS) + EPS);
      expect(d.notional).toBeLessThanOrEqual(limits.maxTradeNotional * (1 + EPS));
      expect(d.notional).toBeGreaterThanOrEqual(limits.minOrderNotional);
      expect(cooldownCheck(world.cooldowns, d.symbol, 'buy', now, prices[d.symbol], limits.cooldowns.overrideMove).blocked).toBe(false);
    }
    expect(exposure(book, prices)).toBeLessThanOrEqual(limits.maxTotalExposure * eqBefore * (1 + EPS) + EPS);
    expect(book.cash).toBeGreaterThanOrEqual(limits.cashBuffer * eqBefore * (1 - EPS) - EPS);
    expect(Object.keys(book.positions).length).toBeLessThanOrEqual(limits.maxConcurrentPositions);
    expect(portfolioHeat(book, prices)).toBeLessThanOrEqual(limits.maxPortfolioHeat * eqBefore * (1 + EPS) + EPS);
    expect(world.dailyNotional + trades.reduce((t, x) => t + x.notional, 0)).toBeLessThanOrEqual(limits.maxDailyNotional * (1 + EPS) + EPS);
  }
  for (const d of approved.filter((x) => x.side === 'sell')) expect(d.quantity).toBeLessThanOrEqual((before.positions[d.symbol]?.quantity ?? 0) * (1 + EPS));

  const cooldowns = { ...world.cooldowns };
  for (const t of trades) for (const c of cooldownsAfterTrade(t.symbol, t.side, now, t.price, limits.cooldowns)) cooldowns[cooldownKey(c.symbol, c.kind)] = c;
  const newDay = Math.floor(now / (24 * HOUR)) !== Math.floor(world.now / (24 * HOUR));
  return {
    book: newDay ? { ...book, dayStartEquity: equity(book, prices), realizedPnlToday: 0 } : book,
    prices, cooldowns, now,
    dailyHalt: newDay ? false : world.dailyHalt || plan.dailyLossLimitHit,
    dailyNotional: (newDay ? 0 : world.dailyNotional) + trades.reduce((t, x) => t + x.notional, 0),
    tradeStats: world.tradeStats,
  };
}

describe('risk limits under any sequence of events', () => {
  it('holds every limit after every step (1,000 random portfolios)', () => {
    fc.assert(
      fc.property(limitsArb, fc.array(stepArb, { minLength: 1, maxLength: 15 }), fc.double({ min: 500, max: 100_000, noNaN: true }), (limits, steps, cash) => {
        let world: World = {
          book: newBook(cash, 0), prices: Object.fromEntries(SYMBOLS.map((s, i) => [s, 10 ** (i - 1) * 7])), cooldowns: {}, now: 0,
          dailyHalt: false, dailyNotional: 0, tradeStats: { wins: 0, losses: 0, grossWin: 0, grossLoss: 0 },
        };
        for (const s of steps) world = runStep(world, s, limits);
      }),
      { numRuns: 1_000, seed: 20261121 },
    );
  });
});
