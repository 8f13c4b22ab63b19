/**
 * The backtester's two speed-ups must not change a single number: skipping the cycles that decide nothing
 * (backtest/engine.ts quietCycle) and running the engine as one esbuild bundle (backtest/compiled.ts) give exactly
 * the result of the source engine running the whole cycle on every candle: fills, trades, decisions, equity curve
 * and metrics. Cases on real candles that reach the skip's edges: strategy ladders left resting, native stops, a
 * daily loss halt and a drawdown halt set while flat, gates that weigh proposals without taking them, model signals.
 */
import path from 'node:path';
import { loadBacktest, runLoadedBacktest, strategySelection, type BacktestOptions, type BacktestResult, type LoadedBacktest } from '../../../backtest';
import { parityOptions } from '../../../bench/parity';

const DATA_DIR = path.join(__dirname, '../../../../shared/data/ohlcv');

async function runAs(engine: 'compiled' | 'source', skipQuietCycles: boolean, loaded: LoadedBacktest): Promise<BacktestResult> {
  const before = process.env.BACKTEST_ENGINE;
  process.env.BACKTEST_ENGINE = engine;
  try {
    return await runLoadedBacktest(loaded, { skipQuietCycles });
  } finally {
    if (before === undefined) delete process.env.BACKTEST_ENGINE;
    else process.env.BACKTEST_ENGINE = before;
  }
}

function haltCase(maxDrawdown: number): BacktestOptions {
  return {
    dataDir: DATA_DIR, symbols: ['ETH/USDT', 'SOL/USDT'], timeframe: '1h', from: '2022-05-01', to: '2022-08-31',
    strategies: strategySelection(['momentum', 'meanReversion', 'breakout'], { regime: { enabled: false }, breaker: { enabled: false } }),
    orders: { type: 'limit', offsetBps: 20, timeInForceMs: 3 * 3_600_000, stops: 'native' },
    risk: { dailyLossLimit: 0.004, maxDrawdown, liquidateOnDrawdown: true },
    cash: 10_000,
  };
}

const CASES: [string, BacktestOptions][] = [
  ['SMA crossover alone, all in (the bench case)', { ...parityOptions(), from: '2023-01-01', to: '2023-04-30', cash: 10_000 }],
  ['default strategies with regime and breaker: DCA ladders resting, proposals weighed and refused', {
    dataDir: DATA_DIR, symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'], timeframe: '1h', from: '2022-05-01', to: '2022-06-30',
    strategies: strategySelection(['dcaGrid', 'swing', 'channel']), cash: 10_000,
  }],
  ['limit entries, native stops, a tight daily loss limit and a drawdown halt that liquidates', haltCase(0.02)],
  ['the same with a drawdown halt that comes while nothing is held', haltCase(0.03)],
  ['model signals as a filter (no cycle is skipped with signals)', {
    dataDir: DATA_DIR, symbols: ['BTC/USDT', 'ETH/USDT'], timeframe: '1h', from: '2023-03-01', to: '2023-04-15',
    strategies: strategySelection(['momentum', 'meanReversion'], { regime: { enabled: false }, breaker: { enabled: false } }), ml: true, cash: 10_000,
  }],
];

describe('backtest speed-ups change nothing', () => {
  it.each(CASES)('%s', async (_, options) => {
    // Loaded once: the runs share the candles (and model signals) read-only, as a parameter search does.
    const loaded = await loadBacktest(options);
    const reference = await runAs('source', false, loaded);
    expect(reference.cycles).toBeGreaterThan(500);
    expect(reference.fills.length).toBeGreaterThan(0);
    for (const [engine, skip] of [['source', true], ['compiled', false], ['compiled', true]] as const) {
      const fast = await runAs(engine, skip, loaded);
      // Fills first: a failure names the first fill that differs.
      expect(fast.fills).toEqual(reference.fills);
      expect(fast).toEqual(reference);
    }
  }, 120_000);

  it('the halt cases reach what they are for: daily loss blocks, a liquidation, a halt while flat', async () => {
    const rulesOf = (r: BacktestResult) => new Set(r.decisions.flatMap((d) => d.decisions.flatMap((x) => x.rules.map((rule) => rule.rule))));
    const liquidated = await runAs('compiled', true, await loadBacktest(CASES[2][1]));
    expect(rulesOf(liquidated)).toContain('daily-loss-limit');
    expect(liquidated.fills.some((f) => f.intent === 'liquidation')).toBe(true);
    const haltedFlat = await runAs('compiled', true, await loadBacktest(CASES[3][1]));
    expect(rulesOf(haltedFlat)).toContain('halted');
    expect(haltedFlat.fills.some((f) => f.intent === 'liquidation')).toBe(false);
  }, 60_000);
});
