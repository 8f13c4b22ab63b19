import { DEFAULT_RISK_LIMITS } from '../../domain/config';
import { newBook } from '../../domain/ledger';
import { assessRisk, planTrades } from '../../domain/risk';
import type { LlmVerdict, PortfolioBook, Signal } from '../../domain/types';

const T0 = Date.UTC(2024, 0, 1);
const signal = (symbol: string, up: number, down: number): Signal => ({
  symbol, asOf: T0, direction: up > down ? 'up' : 'down', confidence: Math.max(up, down),
  probabilities: { up, down, flat: 1 - up - down }, modelVersion: 'test',
});
const verdict = (symbol: string, approve = true, sizeMultiplier = 1): LlmVerdict => ({
  symbol, approve, confidence: 0.8, reason: approve ? 'fine' : 'too risky', model: 'm', fallback: false, sizeMultiplier, latencyMs: 5,
});
const prices = { 'BTC/USDT': 100, 'ETH/USDT': 10 };
const limits = { ...DEFAULT_RISK_LIMITS, minConfidence: 0.4 };
const plan = (signals: Signal[], book: PortfolioBook, extra: Partial<{ coolingSymbols: string[]; dailyHalt: boolean }> = {}) =>
  planTrades(signals, { book, prices, limits, coolingSymbols: [], dailyHalt: false, ...extra });
const rulesOf = (d: { rules: { rule: string }[] }) => d.rules.map((r) => r.rule);

describe('planTrades', () => {
  const book = newBook(10_000, T0);

  it('proposes a buy on a confident up signal and refuses weak or bearish ones with the rule that fired', () => {
    const p = plan([signal('BTC/USDT', 0.6, 0.1), signal('ETH/USDT', 0.35, 0.1)], book);
    expect(p.proposals.map((x) => [x.symbol, x.side])).toEqual([['BTC/USDT', 'buy']]);
    expect(p.refused.map((d) => [d.symbol, rulesOf(d)])).toEqual([['ETH/USDT', ['confidence-threshold']]]);
    const bearish = plan([signal('BTC/USDT', 0.1, 0.7)], book);
    expect(rulesOf(bearish.refused[0])).toEqual(['no-entry-signal']);
  });

  it('sells a held position on a bearish signal, even during a cooldown or a daily halt', () => {
    const held = { ...book, positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 1, avgPrice: 100 } } };
    const p = plan([signal('BTC/USDT', 0.1, 0.6)], held, { coolingSymbols: ['BTC/USDT'], dailyHalt: true });
    expect(p.proposals.map((x) => x.side)).toEqual(['sell']);
  });

  it('blocks entries on a cooling symbol', () => {
    const p = plan([signal('BTC/USDT', 0.6, 0.1)], book, { coolingSymbols: ['BTC/USDT'] });
    expect(p.proposals).toEqual([]);
    expect(rulesOf(p.refused[0])).toEqual(['cooldown']);
  });

  it('fires the daily loss limit when equity is 5% under the day start, and keeps the halt afterwards', () => {
    const losing = { ...book, cash: 9_499, dayStartEquity: 10_000 };
    const p = plan([signal('BTC/USDT', 0.6, 0.1)], losing);
    expect(p.dailyLossLimitHit).toBe(true);
    expect(rulesOf(p.refused[0])).toEqual(['daily-loss-limit']);
    expect(p.refused[0].rules[0].detail).toMatch(/5\.01% below/);
    const recovered = plan([signal('BTC/USDT', 0.6, 0.1)], book, { dailyHalt: true });
    expect(rulesOf(recovered.refused[0])).toEqual(['daily-loss-limit']);
    expect(recovered.dailyLossLimitHit).toBe(false);
  });
});

describe('assessRisk', () => {
  const ctx = (book: PortfolioBook) => ({ book, prices, limits, costRate: 0.002 });
  const proposal = (symbol: string, side: 'buy' | 'sell' = 'buy') => ({ symbol, side, price: prices[symbol as keyof typeof prices], signal: signal(symbol, 0.6, 0.1) });

  it('sizes a buy at the per-asset weight limit (20% of equity)', () => {
    const [d] = assessRisk([proposal('BTC/USDT')], [verdict('BTC/USDT')], ctx(newBook(10_000, T0)));
    expect(d).toMatchObject({ approved: true, side: 'buy', notional: 2_000, quantity: 20 });
  });

  it('respects an LLM rejection and a fallback size cut', () => {
    const [rejected] = assessRisk([proposal('BTC/USDT')], [verdict('BTC/USDT', false)], ctx(newBook(10_000, T0)));
    expect(rejected.approved).toBe(false);
    expect(rejected.rules[0].detail).toMatch(/too risky/);
    const [halved] = assessRisk([proposal('BTC/USDT')], [{ ...verdict('BTC/USDT'), fallback: true, fallbackReason: 'timeout', sizeMultiplier: 0.5 }], ctx(newBook(10_000, T0)));
    expect(halved.notional).toBeCloseTo(1_000, 8);
    expect(halved.rules[0]).toMatchObject({ rule: 'llm-verdict', effect: 'resize' });
  });

  it('caps the asset weight by what is already held, and total exposure at 80%', () => {
    const book: PortfolioBook = {
      ...newBook(3_000, T0),
      positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 15, avgPrice: 100 }, 'X/USDT': { symbol: 'X/USDT', quantity: 1, avgPrice: 5_500 } },
    };
    // equity 3000 + 1500 + 5500 = 10000; BTC room 2000-1500 = 500; exposure room 8000-7000 = 1000.
    const [d] = assessRisk([proposal('BTC/USDT')], [verdict('BTC/USDT')], ctx(book));
    expect(d.notional).toBeCloseTo(500, 8);
    expect(rulesOf(d)).toContain('max-asset-weight');
    const [e] = assessRisk([proposal('ETH/USDT')], [verdict('ETH/USDT')], ctx(book));
    expect(e.notional).toBeCloseTo(1_000, 8);
    expect(rulesOf(e)).toContain('max-total-exposure');
  });

  it('sizes several buys jointly so together they stay within exposure and cash', () => {
    const book = newBook(1_000, T0);
    const many = ['BTC/USDT', 'ETH/USDT', 'BTC/USDT', 'ETH/USDT', 'BTC/USDT'].map((s) => proposal(s));
    const decisions = assessRisk(many, many.map((p) => verdict(p.symbol)), ctx(book));
    const spent = decisions.filter((d) => d.approved).reduce((s, d) => s + d.notional, 0);
    expect(spent).toBeLessThanOrEqual(800 + 1e-9);
  });

  it('closes the whole position on an approved exit, even when a fallback halves entries', () => {
    const book: PortfolioBook = { ...newBook(1_000, T0), positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 3, avgPrice: 90 } } };
    const fallback = { ...verdict('BTC/USDT'), fallback: true, fallbackReason: 'unreachable', sizeMultiplier: 0.5 };
    const [d] = assessRisk([proposal('BTC/USDT', 'sell')], [fallback], ctx(book));
    expect(d).toMatchObject({ approved: true, side: 'sell', quantity: 3 });
  });

  it('blocks orders under the minimum size', () => {
    const [d] = assessRisk([proposal('BTC/USDT')], [verdict('BTC/USDT')], ctx(newBook(40, T0)));
    expect(d.approved).toBe(false);
    expect(rulesOf(d)).toContain('min-order-size');
  });
});
