/** Parameter search: deterministic candidates, rolling windows, and the same answer whatever the worker count. */
import path from 'node:path';
import { strategySelection } from '../../../backtest';
import { gridCandidates, nestParameters, parseSpace, randomCandidates, runSearch, walkForwardWindows } from '../../../backtest/search';

const DAY = 86_400_000;

describe('search candidates and windows', () => {
  it('grids every combination in a fixed order', () => {
    expect(gridCandidates({ 'b.y': [1, 2], 'a.x': ['p', 'q'] })).toEqual([
      { 'a.x': 'p', 'b.y': 1 }, { 'a.x': 'p', 'b.y': 2 }, { 'a.x': 'q', 'b.y': 1 }, { 'a.x': 'q', 'b.y': 2 },
    ]);
  });

  it('draws distinct random candidates, the same for the same seed', () => {
    const space = { 'm.fast': [5, 10, 15, 20, 25], 'm.slow': [50, 100, 150, 200] };
    const a = randomCandidates(space, 8, 7);
    expect(a).toEqual(randomCandidates(space, 8, 7));
    expect(a).not.toEqual(randomCandidates(space, 8, 8));
    expect(new Set(a.map((c) => JSON.stringify(c))).size).toBe(8);
    expect(randomCandidates({ 'm.fast': [1, 2] }, 10, 1)).toHaveLength(2);
  });

  it('rolls train and test windows by one test period', () => {
    const from = Date.UTC(2023, 0, 1);
    expect(walkForwardWindows(from, from + 100 * DAY, 60, 20)).toEqual([
      { trainFrom: from, trainTo: from + 60 * DAY, testFrom: from + 60 * DAY, testTo: from + 80 * DAY },
      { trainFrom: from + 20 * DAY, trainTo: from + 80 * DAY, testFrom: from + 80 * DAY, testTo: from + 100 * DAY },
    ]);
    expect(walkForwardWindows(from, from + 70 * DAY, 60, 20)).toEqual([]);
  });

  it('nests dotted parameters and refuses a malformed space', () => {
    expect(nestParameters({ 'momentum.fast': 10, 'regime.enabled': false })).toEqual({ momentum: { fast: 10 }, regime: { enabled: false } });
    expect(() => parseSpace({})).toThrow('space: name at least one parameter');
    expect(() => parseSpace({ fast: [1] })).toThrow("space: 'fast' is not a dotted parameter path");
    expect(() => parseSpace({ 'momentum.fast': [] })).toThrow('space: momentum.fast must be a non-empty list');
  });
});

describe('walk-forward search on real candles', () => {
  const options = {
    backtest: {
      dataDir: path.join(__dirname, '../../../../shared/data/ohlcv'), symbols: ['SOL/USDT'], timeframe: '1h', from: '2023-01-01', to: '2023-03-31',
      strategies: strategySelection(['breakout'], { regime: { enabled: false }, breaker: { enabled: false } }), keepDecisions: false,
    },
    space: { 'breakout.resistancePeriod': [20, 40], 'breakout.targetAtr': [3, 5] },
    kind: 'grid' as const,
    trainDays: 40,
    testDays: 25,
  };

  it('chooses on training windows, scores out of sample, and gives the same answer on 1 and 2 worker threads', async () => {
    const one = await runSearch({ ...options, workers: 1 });
    const two = await runSearch({ ...options, workers: 2 });
    expect(two).toEqual(one);
    expect(one.windows).toHaveLength(2);
    expect(one.candidates).toHaveLength(4);
    for (const w of one.windows) {
      expect(one.candidates).toContainEqual(w.chosen);
      expect(w.testFrom).toBe(w.trainTo);
    }
    expect(one.outOfSample.trades).toBeGreaterThan(0);
    await expect(runSearch({ ...options, space: { 'breakout.targetAtr': [-1] }, workers: 1 })).rejects.toThrow('candidate {"breakout.targetAtr":-1}: strategy parameters: breakout.targetAtr');
  });
});
