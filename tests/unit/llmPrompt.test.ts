/**
 * What the reviewer reads: the cycle's context (domain/cycle/llmContext.ts, pure) and the versioned prompt built from
 * it (activities/llm/prompt.ts): every item a human would look at is in the text, the hash pins the whole question.
 */
import { buildPrompt, PROMPT_VERSION } from '../../activities/llm/prompt';
import type { CycleTrade } from '../../domain/bookOrder';
import { DEFAULT_RISK_LIMITS } from '../../domain/config';
import { rememberTrades, RECENT_TRADES_KEPT, reviewContext } from '../../domain/cycle/llmContext';
import type { MarketStats } from '../../domain/marketStats';
import type { StrategyOutcome } from '../../domain/strategies';
import type { FeatureVector, PortfolioBook, TradeProposal } from '../../domain/types';

const T = Date.UTC(2025, 0, 10, 12);
const proposal: TradeProposal = {
  symbol: 'SOL/USDT', side: 'buy', price: 152.37, intent: 'entry',
  reasons: [{ rule: 'entry-signal', effect: 'info', detail: 'P(up) 0.610 > P(down) 0.120' }],
  signal: { symbol: 'SOL/USDT', asOf: T, direction: 'up', confidence: 0.61, probabilities: { up: 0.61, down: 0.12, flat: 0.27 }, modelVersion: 'm1' },
  strategy: { strategy: 'momentum', symbol: 'SOL/USDT', side: 'buy', confidence: 0.58, entry: 152.37, expectedValue: 0.012, reason: 'fast SMA 20 crossed above slow SMA 50' },
};
const book: PortfolioBook = {
  cash: 6_000, realizedPnlToday: -50, dayStartEquity: 10_100, day: '2025-01-10',
  positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 0.05, avgPrice: 80_000 } },
};
const prices = { 'BTC/USDT': 80_000, 'SOL/USDT': 152.37 };
const stats: Record<string, MarketStats> = {
  'SOL/USDT': { symbol: 'SOL/USDT', time: T, open: 150, high: 153, low: 149, price: 152.37, atr: 3.05, returns: Array.from({ length: 48 }, () => 0.001), barsPerDay: 24 },
};
const features: FeatureVector[] = [{
  symbol: 'SOL/USDT', asOf: T, close: 152.37,
  names: ['ret_1', 'rsi_14', 'close_to_sma_50', 'volume_ratio_20', 'hour_sin', 'volatility_24'],
  values: [0.002, 71.3, 0.034, 1.8, 0.5, 0.021],
}];
const strategy = {
  time: T, proposals: [], considered: [],
  regime: { 'SOL/USDT': { regime: 'trend-up', breaker: 'normal', trendMove: 0.1, trendR2: 0.8, volPercentile: 0.5, volRatio: 1, rsi: 71, change24h: 0.02 } },
  breaker: { market: 'caution', bySymbol: { 'SOL/USDT': 'normal' } },
} as unknown as StrategyOutcome;
const trade = (side: 'buy' | 'sell', price: number, quantity: number, realizedPnl: number, id: string, symbol = 'SOL/USDT'): CycleTrade => ({
  symbol, side, price, quantity, notional: price * quantity, realizedPnl, clientOrderId: id, time: T - 3_600_000,
});

describe('reviewContext', () => {
  const trades = [
    trade('buy', 140, 5, 0, 'o1'), trade('sell', 135, 2, -10.5, 'o2'), trade('sell', 137, 3, -9.5, 'o2'), trade('buy', 80_000, 0.05, 0, 'o3', 'BTC/USDT'),
  ];
  const ctx = reviewContext({ proposals: [proposal], book, stats, prices, features, strategy, limits: DEFAULT_RISK_LIMITS, dailyNotional: 4_000, trades });

  it('picks the key indicators of the model features, the 24h move, ATR, regime and breakers', () => {
    expect(ctx.market['SOL/USDT']).toEqual({
      atrPct: 3.05 / 152.37,
      change24h: expect.closeTo(1.001 ** 24 - 1, 12),
      indicators: { close_to_sma_50: 0.034, rsi_14: 71.3, volatility_24: 0.021, volume_ratio_20: 1.8 },
      regime: 'trend-up',
      breaker: 'normal',
    });
    expect(ctx.marketBreaker).toBe('caution');
  });

  it("sums an order's fills and keeps only the proposal's symbols", () => {
    expect(ctx.recentTrades).toEqual([
      { symbol: 'SOL/USDT', side: 'buy', quantity: 5, price: 140, realizedPnl: 0, time: T - 3_600_000 },
      { symbol: 'SOL/USDT', side: 'sell', quantity: 5, price: 136.2, realizedPnl: -20, time: T - 3_600_000 },
    ]);
  });

  it('reports how much of each limit is used', () => {
    const eq = 6_000 + 0.05 * 80_000;
    expect(ctx.usage).toEqual([
      { limit: 'maxTotalExposure', used: 4_000 / eq, max: 0.8 },
      { limit: 'maxAssetWeight', used: 4_000 / eq, max: 0.2 },
      { limit: 'maxConcurrentPositions', used: 1, max: 5 },
      { limit: 'maxDailyNotional', used: 4_000, max: 25_000 },
      { limit: 'dailyLossLimit', used: 1 - eq / 10_100, max: 0.05 },
    ]);
  });

  it('remembers the newest fills only', () => {
    const many = Array.from({ length: RECENT_TRADES_KEPT + 5 }, (_, i) => trade('buy', 100 + i, 1, 0, `o${i}`));
    const kept = rememberTrades(many.slice(0, 10), many.slice(10));
    expect(kept).toHaveLength(RECENT_TRADES_KEPT);
    expect(kept[kept.length - 1]).toBe(many[many.length - 1]);
  });
});

describe('buildPrompt', () => {
  const sampling = { temperature: 0, seed: 42, numPredict: 96 };
  const context = {
    cash: book.cash, equity: 10_000, positions: book.positions,
    ...reviewContext({ proposals: [proposal], book, stats, prices, features, strategy, limits: DEFAULT_RISK_LIMITS, dailyNotional: 4_000, trades: [trade('sell', 135, 2, -10.5, 'o2')] }),
  };

  it('carries what a reviewer reads, as short lines', () => {
    const { text, messages } = buildPrompt(proposal, context, sampling);
    expect(messages[0].content).toMatch(/risk reviewer/);
    expect(text.split('\n')).toEqual([
      'Trade: BUY SOL/USDT at 152.37 (entry)',
      'Strategy momentum: fast SMA 20 crossed above slow SMA 50 (confidence 0.58, expected value 1.2%)',
      'Why: P(up) 0.610 > P(down) 0.120',
      'Model signal: up, P(up) 0.61, P(flat) 0.27, P(down) 0.12',
      'Market: 24h change 2.4%, ATR 2.0% of price, regime trend-up, breaker normal',
      'Indicators: close_to_sma_50 0.034, rsi_14 71.3, volatility_24 0.021, volume_ratio_20 1.8',
      'Market-wide breaker: caution',
      'Recent trades on SOL/USDT: sell 2 at 135 pnl -10.5',
      'Portfolio: equity 10000, cash 6000 (60.0%), no SOL/USDT held, also holds BTC/USDT 0.05',
      'Limits used: maxTotalExposure 40.0% of 80.0%, maxAssetWeight 40.0% of 20.0%, maxConcurrentPositions 1 of 5, maxDailyNotional 4000 of 25000, dailyLossLimit 1.0% of 5.0%',
    ]);
  });

  it('reviews a strategy proposal without a model signal instead of refusing it, and reads inputs recorded before the context existed', () => {
    const { text } = buildPrompt({ ...proposal, signal: undefined }, { cash: 1_000, equity: 1_000, positions: {} }, sampling);
    expect(text).toContain('Model signal: none');
    expect(text).toContain('Recent trades on SOL/USDT: none');
  });

  it('hashes the whole question: the same input gives the same hash, another seed or wording another', () => {
    const a = buildPrompt(proposal, context, sampling);
    expect(buildPrompt(proposal, context, sampling).hash).toBe(a.hash);
    expect(buildPrompt(proposal, context, { ...sampling, seed: 7 }).hash).not.toBe(a.hash);
    expect(buildPrompt({ ...proposal, price: 152.38 }, context, sampling).hash).not.toBe(a.hash);
    expect(PROMPT_VERSION).toBe('review-v2');
  });
});
