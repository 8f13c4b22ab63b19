/**
 * How a strategy's proposal travels through the risk engine to orders and protection: planning checks it like a
 * model signal, sizing uses its own stop, payoff and capital allocation, a ladder becomes resting limit orders, and
 * its fills arm the strategy's levels. Plus the resting-order rules the cycle applies every time.
 */
import { DEFAULT_ENTRY_ORDERS, DEFAULT_RISK_LIMITS, type RiskLimits } from '../../domain/config';
import { bookOrder, type CycleTrade } from '../../domain/bookOrder';
import { advance, ordersFor, outlived, reservedBy, stopAction, type RestingOrder } from '../../domain/cycle/restingOrders';
import { newBook } from '../../domain/ledger';
import type { MarketStats } from '../../domain/marketStats';
import { assessRisk, checkCandle, effectiveStop, planTrades } from '../../domain/risk';
import { armFromLevels } from '../../domain/risk/exits';
import type { StrategyProposal } from '../../domain/strategies';
import type { LlmVerdict, OrderRequest, OrderResult, RiskDecision } from '../../domain/types';

const T0 = Date.UTC(2024, 0, 1);
const limits: RiskLimits = { ...DEFAULT_RISK_LIMITS, minConfidence: 0.4 };
const stats = (symbol: string, price: number): MarketStats => ({ symbol, time: T0, open: price, high: price, low: price, price, atr: price * 0.01, returns: [], barsPerDay: 24 });
const STATS = { 'BTC/USDT': stats('BTC/USDT', 100), 'ETH/USDT': stats('ETH/USDT', 10), 'SOL/USDT': stats('SOL/USDT', 1) };
const approve = (symbol: string): LlmVerdict => ({ symbol, approve: true, confidence: 0.9, reason: 'ok', model: 'm', fallback: false, sizeMultiplier: 1, latencyMs: 1 });
const proposal = (over: Partial<StrategyProposal> = {}): StrategyProposal => ({
  strategy: 'swing', symbol: 'BTC/USDT', side: 'buy', confidence: 0.6, entry: 100, stop: 95, takeProfit: 115, trailingPct: 0.07,
  expectedValue: 0.05, reason: 'resistance break on 2.4x volume', ...over,
});
const ctx = (book = newBook(10_000, T0)) => ({ book, stats: STATS, limits, cooldowns: {}, now: T0, dailyHalt: false, exits: [] });
const assessCtx = (book = newBook(10_000, T0)) => ({ book, stats: STATS, limits, costRate: 0.002, tradeStats: { wins: 0, losses: 0, grossWin: 0, grossLoss: 0 }, dailyNotional: 0 });

describe('strategy proposals in the risk engine', () => {
  it('become entries with the strategy named in the reasons (its confidence is not held to minConfidence), and impossible ones are refused', () => {
    const plan = planTrades([], {
      ...ctx(), strategyProposals: [proposal(), proposal({ symbol: 'ETH/USDT', confidence: 0.2, entry: 10, stop: 9, takeProfit: 12 }), proposal({ strategy: 'channel', symbol: 'SOL/USDT', side: 'sell' })],
    });
    // A 2:1 setup with a 20% chance to reach its target: Kelly sizes it to nothing later, the plan lets it through.
    expect(plan.proposals.map((p) => [p.symbol, p.intent, p.strategy?.strategy])).toEqual([['BTC/USDT', 'entry', 'swing'], ['ETH/USDT', 'entry', 'swing']]);
    expect(plan.proposals[0].reasons?.[0]).toMatchObject({ rule: 'strategy:swing', detail: 'resistance break on 2.4x volume' });
    expect(plan.refused.map((d) => [d.symbol, d.rules.map((r) => r.rule).pop()])).toEqual([['SOL/USDT', 'no-position']]);
    const model = planTrades([{ symbol: 'ETH/USDT', asOf: T0, direction: 'up', confidence: 0.3, probabilities: { up: 0.3, down: 0.1, flat: 0.6 }, modelVersion: 't' }], ctx());
    expect(model.refused[0].rules.map((r) => r.rule)).toEqual(['confidence-threshold']);
  });

  it('lets a strategy exit go before a trim, and never trims an all-in position for a rounding hair over its limit', () => {
    const allIn = { ...newBook(0, T0), positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 100.0000000001, avgPrice: 100 } } };
    const all = { ...limits, maxAssetWeight: 1, maxTotalExposure: 1, cashBuffer: 0, trimAbove: 1 };
    expect(planTrades([], { ...ctx(allIn), limits: all }).proposals).toEqual([]);
    const over = { ...newBook(1_000, T0), positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 50, avgPrice: 100 } } };
    expect(planTrades([], ctx(over)).proposals.map((p) => p.intent)).toEqual(['trim']);
    const exit = planTrades([], { ...ctx(over), strategyProposals: [proposal({ side: 'sell' })] }).proposals;
    expect(exit.map((p) => [p.intent, p.quantity])).toEqual([['signal-exit', 50]]);
  });

  it('sizes without Kelly when kellySizing is off (a strategy that claims no edge still trades)', () => {
    const noEdge = proposal({ strategy: 'smaCross', confidence: 0.5, stop: undefined, takeProfit: undefined });
    const props = planTrades([], { ...ctx(), strategyProposals: [noEdge] }).proposals;
    expect(assessRisk(props, { 'BTC/USDT': approve('BTC/USDT') }, assessCtx())[0].approved).toBe(false);
    const [d] = assessRisk(props, { 'BTC/USDT': approve('BTC/USDT') }, { ...assessCtx(), limits: { ...limits, kellySizing: false } });
    expect(d.approved).toBe(true);
    expect(d.rules.find((r) => r.rule === 'sizing')!.detail).toMatch(/^weight size wins|^atr size wins/);
  });

  it('gives no new intent to a symbol with an order still resting', () => {
    const plan = planTrades([], { ...ctx(), strategyProposals: [proposal()], restingSymbols: ['BTC/USDT'] });
    expect(plan.proposals).toEqual([]);
  });

  it('sizes on the strategy stop and its own payoff, and carries its levels to the decision', () => {
    const p = planTrades([], { ...ctx(), strategyProposals: [proposal()] }).proposals;
    const [d] = assessRisk(p, { 'BTC/USDT': approve('BTC/USDT') }, assessCtx());
    const sizing = d.rules.find((r) => r.rule === 'sizing')!.detail;
    // 1% of 10,000 at risk over a 5% stop = 2,000; Kelly with p 0.6 and b (115-100)/(100-95) = 3: (0.6 - 0.4/3) / 2 = 23.3%.
    expect(sizing).toContain('stop 2000.00');
    expect(sizing).toContain('b 3.00');
    expect(d.levels).toEqual({ strategy: 'swing', stop: 95, takeProfit: 115, trailingPct: 0.07 });
  });

  it('cuts to the strategy capital allocation, counting its earlier buys in the same cycle', () => {
    const props = planTrades([], {
      ...ctx(), strategyProposals: [proposal({ allocationCap: 1_500 }), proposal({ symbol: 'ETH/USDT', entry: 10, stop: 9.5, takeProfit: 11.5, allocationCap: 1_500 })],
    }).proposals;
    const [btc, eth] = assessRisk(props, { 'BTC/USDT': approve('BTC/USDT'), 'ETH/USDT': approve('ETH/USDT') }, assessCtx());
    expect(btc.notional).toBeCloseTo(1_500, 6);
    expect(eth.approved).toBe(false);
    expect(eth.rules.map((r) => r.rule)).toEqual(expect.arrayContaining(['strategy-allocation', 'min-order-size']));
  });
});

describe('fills of a strategy entry', () => {
  it('arm the strategy levels, whose percentage trailing stop follows the high-water mark', () => {
    const p = armFromLevels(100, { strategy: 'swing', stop: 95, takeProfit: 115, trailingPct: 0.07 }, 1, T0, limits)!;
    expect(effectiveStop(p)).toEqual({ level: 95, trailing: false });
    const { next } = checkCandle(p, { time: T0 + 1, open: 100, high: 110, low: 100 });
    expect(effectiveStop(next).level).toBeCloseTo(110 * 0.93, 10);
    const { hit } = checkCandle(next, { time: T0 + 2, open: 104, high: 104, low: 102 });
    expect(hit?.rule).toBe('trailing-stop');
  });

  it('open a position tagged with the strategy, at the market time of its first fill', () => {
    const result: OrderResult = {
      clientOrderId: 'x', symbol: 'BTC/USDT', side: 'buy', status: 'filled', requestedQuantity: 1, filledQuantity: 1, avgPrice: 100, fee: 0.1,
      fills: [{ price: 100, quantity: 1, fee: 0.1, timestamp: T0 + 3_600_000 }], deduplicated: false,
    };
    const trades: CycleTrade[] = [];
    const book = bookOrder(newBook(1_000, T0), result, STATS['BTC/USDT'], limits, T0 + 99 * 3_600_000, trades, { strategy: 'dcaGrid', stop: 92, takeProfit: 110 });
    const pos = book.positions['BTC/USDT'];
    expect(pos).toMatchObject({ strategy: 'dcaGrid', openedAt: T0 + 3_600_000 });
    expect(pos.protection).toMatchObject({ stop: 92, takeProfit: 110, trailPct: 1 });
  });
});

describe('resting orders', () => {
  const decision: RiskDecision = { symbol: 'BTC/USDT', side: 'buy', approved: true, quantity: 10, price: 100, notional: 1_000, rules: [] };
  const cycle = { cycleId: 'portfolio-p-abc-cycle-7', portfolioId: 'p', policy: DEFAULT_ENTRY_ORDERS };

  it('a ladder becomes one limit order per rung with its share of the notional and distinct ids', () => {
    const ladder = [0.99, 0.98, 0.97, 0.96, 0.95].map((f) => ({ price: 100 * f, weight: 0.2 }));
    const orders = ordersFor({ ...decision, ladder }, cycle);
    expect(orders.map((o) => [o.type, o.limitPrice])).toEqual(ladder.map((r) => ['limit', r.price]));
    expect(new Set(orders.map((o) => o.clientOrderId)).size).toBe(5);
    expect(orders.reduce((s, o) => s + o.quantity * o.limitPrice!, 0)).toBeCloseTo(1_000, 9);
    // The same cycle always gives the same ids: a retried placement finds its orders.
    expect(ordersFor({ ...decision, ladder }, cycle).map((o) => o.clientOrderId)).toEqual(orders.map((o) => o.clientOrderId));
  });

  it('a limit policy rests a buy under the price; exits stay market orders', () => {
    const policy = { type: 'limit' as const, offsetBps: 20, timeInForceMs: 600_000 };
    const [buy] = ordersFor(decision, { ...cycle, policy });
    expect(buy).toMatchObject({ type: 'limit', limitPrice: 99.8, timeInForceMs: 600_000 });
    expect(buy.quantity).toBeCloseTo(1_000 / 99.8, 12);
    expect(ordersFor({ ...decision, side: 'sell' }, { ...cycle, policy })[0].type).toBe('market');
  });

  const resting = (request: Partial<OrderRequest>, filledQuantity = 0): RestingOrder => ({
    request: { clientOrderId: 'r', portfolioId: 'p', cycleId: 'c', symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: 2, referencePrice: 100, limitPrice: 99, timeInForceMs: 1_000, ...request },
    status: filledQuantity > 0 ? 'partially_filled' : 'open', bookedFills: filledQuantity > 0 ? 1 : 0, filledQuantity, placedAt: T0,
  });

  it('reserve what they can still spend, expire on their own clock, and stop resting once final', () => {
    expect(reservedBy([resting({}, 0.5), resting({ side: 'sell', type: 'stop', stopPrice: 90 })], 0.001)).toEqual({ cash: 1.5 * 99 * 1.001, coins: { 'BTC/USDT': 2 } });
    expect(outlived(resting({}), T0 + 999)).toBe(false);
    expect(outlived(resting({}), T0 + 1_000)).toBe(true);
    const fill = { price: 99, quantity: 1.5, fee: 0.1, timestamp: T0 + 2 };
    const latest: OrderResult = { clientOrderId: 'r', symbol: 'BTC/USDT', side: 'buy', status: 'filled', requestedQuantity: 2, filledQuantity: 2, avgPrice: 99, fee: 0.2, fills: [{ ...fill, quantity: 0.5 }, fill], deduplicated: false };
    const { next, unbooked } = advance(resting({}, 0.5), latest, [fill]);
    expect(next).toBeNull();
    expect(unbooked).toMatchObject({ fills: [fill], filledQuantity: 1.5 });
  });

  it('a native stop is kept, placed, or replaced when the position changed or the trailing stop rose', () => {
    const stop = resting({ side: 'sell', type: 'stop', stopPrice: 95, quantity: 2 });
    expect(stopAction(undefined, 2, 95)).toBe('place');
    expect(stopAction(stop, 2, 95.05)).toBe('keep');
    expect(stopAction(stop, 2, 96)).toBe('replace');
    expect(stopAction(stop, 3, 95)).toBe('replace');
    expect(stopAction(stop, 2, 90)).toBe('keep'); // never lowered
  });
});
