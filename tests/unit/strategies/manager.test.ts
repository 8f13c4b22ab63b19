import {
  compareProposals, parseStrategyConfig, prepareMarket, proposeAt, strategyConfigSchema, type StrategyProposal,
} from '../../../domain/strategies';
import type { Signal } from '../../../domain/types';
import { binance, indexOf, utc } from './realCandles';

// BTC on 2021-05-19 12:00, in the crash: dcaGrid (confidence 0.59, EV 2.5%) and meanReversion (0.46, EV 3.0%) both want to buy.
const T = utc('2021-05-19T12:00');
const config = parseStrategyConfig({
  meanReversion: { enabled: true },
  allocations: { dcaGrid: 0.4, swing: 0.3, channel: 0.2, meanReversion: 0.1 },
  regime: { enabled: false },
  breaker: { enabled: false },
  manager: { minExpectedValue: null },
});
const candles = { BTC: binance('BTC', '1h'), ETH: binance('ETH', '1h') };
const market = prepareMarket(candles, '1h', config);
const ethClose = candles.ETH[indexOf(candles.ETH, T)][4];
const signal = (direction: Signal['direction'], up: number, down: number): Signal => ({
  symbol: 'BTC', asOf: T, direction, confidence: Math.max(up, down), modelVersion: 'test', probabilities: { up, down, flat: 1 - up - down },
});

describe('strategy manager on real candles (BTC 2021-05-19 12:00)', () => {
  const outcome = proposeAt(market, T, { positions: {}, equity: 100_000, cash: 100_000 }, config);
  const btc = outcome.considered.filter((c) => c.proposal.symbol === 'BTC');

  it('resolves the dcaGrid / meanReversion conflict by confidence: one proposal for BTC, the loser recorded with why', () => {
    expect(btc.map((c) => c.proposal.strategy).sort()).toEqual(['dcaGrid', 'meanReversion']);
    const chosen = outcome.proposals.filter((p) => p.symbol === 'BTC');
    expect(chosen).toHaveLength(1);
    const loser = btc.find((c) => !c.chosen)!;
    expect(chosen[0].strategy).toBe('dcaGrid');
    // Confidence outranks expected value: the loser had the higher EV.
    expect(chosen[0].confidence).toBeGreaterThan(loser.proposal.confidence);
    expect(loser.proposal.expectedValue).toBeGreaterThan(chosen[0].expectedValue);
    expect(loser.why).toMatch(new RegExp(`^lost to ${chosen[0].strategy} \\(confidence`));
  });

  it('breaks a confidence tie by expected value, then by strategy order', () => {
    const p = (strategy: string, confidence: number, expectedValue: number) =>
      ({ strategy, symbol: 'X', side: 'buy', confidence, entry: 1, expectedValue, reason: '' }) as StrategyProposal;
    const sorted = [p('channel', 0.5, 0.01), p('swing', 0.6, 0.0), p('dcaGrid', 0.5, 0.02), p('meanReversion', 0.5, 0.01)].sort(compareProposals);
    expect(sorted.map((x) => x.strategy)).toEqual(['swing', 'dcaGrid', 'meanReversion', 'channel']);
  });

  it('caps each buy at its allocation of equity minus what the strategy already holds', () => {
    const chosen = outcome.proposals.find((p) => p.symbol === 'BTC')!;
    const share = config.allocations[chosen.strategy as 'dcaGrid'];
    expect(chosen.allocationCap).toBeCloseTo(share * 100_000, 6);
    const holding = { ETH: { quantity: 2, avgPrice: 3_000, strategy: chosen.strategy } };
    const after = proposeAt(market, T, { positions: holding, equity: 100_000, cash: 94_000 }, config);
    expect(after.proposals.find((p) => p.symbol === 'BTC')!.allocationCap).toBeCloseTo(share * 100_000 - 2 * ethClose, 6);
    const full = { ETH: { quantity: 100, avgPrice: 3_000, strategy: chosen.strategy } };
    const none = proposeAt(market, T, { positions: full, equity: 100_000, cash: 1_000 }, config);
    const btcBuy = none.proposals.find((p) => p.symbol === 'BTC');
    expect(btcBuy?.strategy).not.toBe(chosen.strategy);
    expect(none.considered.find((c) => c.proposal.strategy === chosen.strategy && c.proposal.symbol === 'BTC')?.why).toMatch(/used its allocation/);
  });

  it('keeps one position per symbol: with BTC held, no buy is proposed for it', () => {
    const held = proposeAt(market, T, { positions: { BTC: { quantity: 1, avgPrice: 40_000, strategy: 'dcaGrid' } }, equity: 100_000, cash: 60_000 }, config);
    expect(held.proposals.filter((p) => p.symbol === 'BTC' && p.side === 'buy')).toEqual([]);
    const gone = proposeAt(market, T, { positions: { BTC: { quantity: 1, avgPrice: 45_000, strategy: 'dcaGrid' } }, equity: 100_000, cash: 60_000 }, config);
    expect(gone.proposals.find((p) => p.symbol === 'BTC')).toMatchObject({ side: 'sell', strategy: 'dcaGrid' }); // -22%: its stop-loss
  });

  it('drops a buy the ML model calls down (filter), keeps it when the model calls up, and blends odds (confidence)', () => {
    const down = proposeAt(market, T, { positions: {}, equity: 100_000, cash: 100_000 }, config, { BTC: signal('down', 0.2, 0.6) });
    expect(down.proposals.filter((p) => p.symbol === 'BTC')).toEqual([]);
    expect(down.considered.filter((c) => c.proposal.symbol === 'BTC').every((c) => /ML model test calls down/.test(c.why))).toBe(true);
    const up = proposeAt(market, T, { positions: {}, equity: 100_000, cash: 100_000 }, config, { BTC: signal('up', 0.6, 0.2) });
    expect(up.proposals.filter((p) => p.symbol === 'BTC')).toHaveLength(1);
    const blended = parseStrategyConfig({ ...config, ml: { use: 'confidence', confidenceWeight: 0.5 } });
    const b = proposeAt(market, T, { positions: {}, equity: 100_000, cash: 100_000 }, blended, { BTC: signal('up', 0.6, 0.2) });
    const plain = outcome.proposals.find((p) => p.symbol === 'BTC')!;
    const mixed = b.considered.find((c) => c.proposal.strategy === plain.strategy && c.proposal.symbol === 'BTC')!.proposal;
    expect(mixed.confidence).toBeCloseTo(0.5 * plain.confidence + 0.5 * 0.75, 12);
    expect(mixed.expectedValue).toBeGreaterThan(plain.expectedValue);
  });

  it('blocks every new entry under the PANIC breaker that the crash sets off', () => {
    const guarded = parseStrategyConfig({ ...config, regime: { enabled: true }, breaker: { enabled: true } });
    const crash = proposeAt(prepareMarket(candles, '1h', guarded), T, { positions: {}, equity: 100_000, cash: 100_000 }, guarded);
    expect(crash.breaker.bySymbol.BTC).toBe('PANIC');
    expect(crash.proposals.filter((p) => p.side === 'buy')).toEqual([]);
    expect(crash.considered.filter((c) => c.proposal.symbol === 'BTC').every((c) => /PANIC/.test(c.why))).toBe(true);
  });
});

describe('strategy configuration', () => {
  const errors = (input: unknown) => {
    const r = strategyConfigSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('defaults to dcaGrid / swing / channel with 40 / 30 / 30, the issue defaults for their levels', () => {
    const c = parseStrategyConfig({});
    expect(c.allocations).toMatchObject({ dcaGrid: 0.4, swing: 0.3, channel: 0.3, momentum: 0, smaCross: 0 });
    expect(c.dcaGrid).toMatchObject({ rungs: 5, rungSpacing: 0.01, takeProfit: 0.1, stopLoss: 0.08, dropFromHigh: 0.05, rsiBelow: 30 });
    expect(c.swing).toMatchObject({ takeProfit: 0.15, stopLoss: 0.05, trailingStop: 0.07, volumeMultiple: 2 });
    expect(c.channel).toMatchObject({ minTouches: 3, buyZone: 0.3, sellZone: 0.3, minRewardToRisk: 1.5 });
  });

  it('names the bad field in every error', () => {
    expect(errors({ swing: { stopLoss: 2 } })).toEqual([expect.stringMatching(/^swing\.stopLoss: /)]);
    expect(errors({ momentum: { enabled: true } })).toEqual(['allocations.momentum: momentum is enabled but has no allocation']);
    expect(errors({ allocations: { dcaGrid: 0.6 } })).toEqual(['allocations: allocations must sum to at most 1']);
    expect(errors({ smaCross: { fast: 30, slow: 20 } })).toEqual(['smaCross.fast: fast must be shorter than slow']);
    expect(errors({ dcaGrid: { highLookback: '4 hours' } })).toEqual(['dcaGrid.highLookback: expected a duration like 30m, 4h or 1d']);
    expect(errors({ regime: { weights: { ranging: { channel: 2 } } } })).toEqual([expect.stringMatching(/^regime\.weights\.ranging\.channel: /)]);
    expect(errors({ ml: { use: 'maybe' } })[0]).toMatch(/^ml\.use: /);
    expect(errors({ swing: { stopLos: 0.05 } })[0]).toMatch(/^swing: Unrecognized key\(s\) in object: 'stopLos'/);
    expect(() => parseStrategyConfig({ costRate: -1 })).toThrow(/invalid strategy config: costRate: /);
  });
});
