import {
  DAY_MS, computeMetrics, dailyCloses, dailyReturns, exposure, groupMetrics, maxDrawdown, sharpeRatio, sortinoRatio,
} from '../../../backtest/metrics';
import type { ClosedTrade } from '../../../backtest/types';

const T0 = Date.UTC(2023, 0, 1);
const HOUR = 3_600_000;

function trade(partial: Partial<ClosedTrade>): ClosedTrade {
  return {
    symbol: 'BTC/USDT', strategy: 'momentum', entryTime: T0, exitTime: T0 + HOUR, entryPrice: 100, exitPrice: 110,
    quantity: 1, fees: 0, pnl: 10, returnPct: 0.1, exitReason: 'take-profit', ...partial,
  };
}

describe('daily returns', () => {
  it('takes the last mark of each UTC day, a midnight mark closing the day before, and carries gaps', () => {
    const curve = [
      { time: T0 + 12 * HOUR, equity: 101 },
      { time: T0 + DAY_MS, equity: 102 }, // midnight: closes 1 January
      { time: T0 + DAY_MS + HOUR, equity: 99 },
      { time: T0 + 3 * DAY_MS + HOUR, equity: 110 }, // 3 January has no mark: carries 99
    ];
    expect(dailyCloses(curve).map((c) => c.equity)).toEqual([102, 99, 99, 110]);
    const r = dailyReturns(curve, 100);
    expect(r[0]).toBeCloseTo(0.02, 12);
    expect(r[1]).toBeCloseTo(99 / 102 - 1, 12);
    expect(r[2]).toBe(0);
    expect(r[3]).toBeCloseTo(110 / 99 - 1, 12);
  });

  it('annualises Sharpe and Sortino with √365', () => {
    // mean 0.005, sample sd of [0.01, 0, 0.02, -0.01]: sqrt((0.005²+0.005²+0.015²+0.015²)/3) = sqrt(0.0005/3)
    const r = [0.01, 0, 0.02, -0.01];
    expect(sharpeRatio(r)).toBeCloseTo((0.005 / Math.sqrt(0.0005 / 3)) * Math.sqrt(365), 10);
    // downside deviation: sqrt(0.01² / 4) = 0.005
    expect(sortinoRatio(r)).toBeCloseTo((0.005 / 0.005) * Math.sqrt(365), 10);
    expect(sortinoRatio([0.01, 0.02])).toBe(Infinity);
    expect(sharpeRatio([0.01])).toBe(0);
  });
});

describe('drawdown and exposure', () => {
  it('finds the deepest fall and the time from its peak to the recovery', () => {
    const curve = [100, 120, 90, 100, 125, 110, 120].map((equity, i) => ({ time: T0 + i * HOUR, equity }));
    // 120 -> 90 is -25%, regained at hour 4; the later 125 -> 110 (-12%) is shallower.
    expect(maxDrawdown(curve, T0 + 6 * HOUR)).toEqual({ depth: 0.25, durationMs: 3 * HOUR });
    // Never recovered: runs to the end.
    const sinking = [100, 80, 90].map((equity, i) => ({ time: T0 + i * HOUR, equity }));
    const sunk = maxDrawdown(sinking, T0 + 10 * HOUR);
    expect(sunk.depth).toBeCloseTo(0.2, 12);
    expect(sunk.durationMs).toBe(10 * HOUR);
  });

  it('counts overlapping positions once', () => {
    expect(exposure([[0, 10], [5, 15], [30, 40]], 0, 100)).toBeCloseTo(0.25, 12);
    expect(exposure([[-10, 10]], 0, 20)).toBeCloseTo(0.5, 12);
    expect(exposure([], 0, 20)).toBe(0);
  });
});

describe('computeMetrics', () => {
  it('matches hand-computed figures for a two-day run with three trades', () => {
    const trades = [
      trade({ pnl: 30, entryTime: T0, exitTime: T0 + 2 * HOUR }),
      trade({ pnl: -10, entryTime: T0 + 10 * HOUR, exitTime: T0 + 14 * HOUR }),
      trade({ pnl: 20, entryTime: T0 + 30 * HOUR, exitTime: T0 + 36 * HOUR, symbol: 'ETH/USDT', strategy: 'channel' }),
    ];
    const curve = [
      { time: T0, equity: 1000 },
      { time: T0 + 12 * HOUR, equity: 1020 },
      { time: T0 + DAY_MS, equity: 1010 },
      { time: T0 + 2 * DAY_MS, equity: 1040 },
    ];
    const m = computeMetrics({ initial: 1000, curve, start: T0, end: T0 + 2 * DAY_MS, trades });
    expect(m.totalReturn).toBeCloseTo(0.04, 12);
    expect(m.cagr).toBeCloseTo(1.04 ** (365.25 / 2) - 1, 8);
    expect(m.trades).toBe(3);
    expect(m.winRate).toBeCloseTo(2 / 3, 12);
    expect(m.profitFactor).toBeCloseTo(50 / 10, 12);
    expect(m.netPnl).toBe(40);
    expect(m.averageTradeDurationMs).toBe(4 * HOUR);
    expect(m.exposure).toBeCloseTo(12 / 48, 12);
    expect(m.maxDrawdown).toBeCloseTo(1 - 1010 / 1020, 12);
    expect(m.maxDrawdownDurationMs).toBe(36 * HOUR);
    const daily = [1010 / 1000 - 1, 1040 / 1010 - 1];
    expect(m.sharpe).toBeCloseTo(sharpeRatio(daily), 12);
  });

  it('splits per strategy and per symbol on realised curves', () => {
    const trades = [
      trade({ pnl: 30, exitTime: T0 + HOUR }),
      trade({ pnl: -10, strategy: 'channel', symbol: 'ETH/USDT', entryTime: T0 + 2 * HOUR, exitTime: T0 + 3 * HOUR }),
    ];
    const byStrategy = groupMetrics(1000, T0, T0 + DAY_MS, trades, (t) => t.strategy);
    expect(Object.keys(byStrategy)).toEqual(['channel', 'momentum']);
    expect(byStrategy.momentum.totalReturn).toBeCloseTo(0.03, 12);
    expect(byStrategy.channel.totalReturn).toBeCloseTo(-0.01, 12);
    expect(byStrategy.channel.profitFactor).toBe(0);
    expect(byStrategy.momentum.profitFactor).toBe(Infinity);
    expect(byStrategy.channel.exposure).toBeCloseTo(1 / 24, 12);
  });

  it('reports a flat run with no trades as zeros', () => {
    const m = computeMetrics({ initial: 500, curve: [{ time: T0, equity: 500 }, { time: T0 + DAY_MS, equity: 500 }], start: T0, end: T0 + DAY_MS, trades: [] });
    expect(m).toMatchObject({ totalReturn: 0, cagr: 0, sharpe: 0, sortino: 0, maxDrawdown: 0, trades: 0, winRate: 0, profitFactor: 0, exposure: 0 });
  });
});
