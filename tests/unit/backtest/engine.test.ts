/**
 * The engine on real candles: its books must add up (every fill booked once, round trips' PnL equal to the equity
 * change) and it must follow the portfolio's rules on market time.
 */
import path from 'node:path';
import { loadBacktest, runBacktest, runLoadedBacktest, strategySelection, withRange } from '../../../backtest';
import type { BacktestResult } from '../../../backtest/types';

const DATA_DIR = path.join(__dirname, '../../../../shared/data/ohlcv');
const OPTIONS = {
  dataDir: DATA_DIR,
  symbols: ['ETH/USDT', 'SOL/USDT'],
  timeframe: '1h',
  from: '2023-02-01',
  to: '2023-04-30',
  strategies: strategySelection(['meanReversion', 'breakout', 'dcaGrid'], { regime: { enabled: false }, breaker: { enabled: false } }),
};

let result: BacktestResult;
beforeAll(async () => {
  result = await runLoadedBacktest(await loadBacktest(OPTIONS));
});

describe('backtest engine on ETH and SOL 1h, February to April 2023', () => {
  it('trades, and its round trips account for the whole change in equity', () => {
    expect(result.trades.length).toBeGreaterThan(10);
    const realised = result.trades.reduce((s, t) => s + t.pnl, 0);
    const unrealised = result.openTrades.reduce((s, t) => s + t.unrealizedPnl, 0);
    expect(realised + unrealised).toBeCloseTo(result.finalEquity - result.initialCash, 6);
    expect(result.metrics.netPnl).toBeCloseTo(realised, 9);
    expect(result.equityCurve[result.equityCurve.length - 1].equity).toBeCloseTo(result.finalEquity, 9);
  });

  it('books every fill into exactly one round trip, inside the range', () => {
    const bought = result.fills.filter((f) => f.side === 'buy').reduce((s, f) => s + f.quantity, 0);
    const inTrades = result.trades.reduce((s, t) => s + t.quantity, 0) + result.openTrades.reduce((s, t) => s + t.quantity, 0);
    expect(inTrades).toBeCloseTo(bought, 6);
    const from = Date.UTC(2023, 1, 1);
    for (const t of result.trades) {
      expect(t.entryTime).toBeGreaterThan(from);
      expect(t.exitTime).toBeGreaterThan(t.entryTime);
      expect(t.exitTime).toBeLessThanOrEqual(Date.UTC(2023, 4, 1) + 3_600_000);
      expect(['meanReversion', 'breakout', 'dcaGrid']).toContain(t.strategy);
    }
    // Market orders fill at the open of the candle after the decision: on the hour.
    for (const f of result.fills) expect(f.time % 3_600_000).toBe(0);
  });

  it('marks equity at every candle close and never spends cash it does not have', () => {
    expect(result.equityCurve.length).toBe(result.cycles + 1);
    for (const p of result.equityCurve) expect(p.cash).toBeGreaterThanOrEqual(-1e-6);
    const times = result.equityCurve.map((p) => p.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('explains its decisions', () => {
    const rules = new Set(result.decisions.flatMap((d) => d.decisions.flatMap((x) => x.rules.map((r) => r.rule))));
    expect(rules.size).toBeGreaterThan(2);
    expect(result.trades.every((t) => t.exitReason.length > 0)).toBe(true);
  });

  it('gives the same result when run twice, and a sub-range of loaded data runs without reloading', async () => {
    const loaded = await loadBacktest(OPTIONS);
    const again = await runLoadedBacktest(loaded);
    expect(again.trades).toEqual(result.trades);
    expect(again.finalEquity).toBe(result.finalEquity);
    const march = await runLoadedBacktest(withRange(loaded, Date.UTC(2023, 2, 1), Date.UTC(2023, 3, 1)));
    expect(march.equityCurve[0].time).toBe(Date.UTC(2023, 2, 1));
    // One cycle per candle: the files have 743 hourly candles in March 2023 (Binance lost an hour).
    expect(march.cycles).toBe(743);
  });
});

describe('backtest engine on a drawdown halt', () => {
  it('cancels the orders resting, as the workflow\'s liquidation does: no buy reopens a position after it', async () => {
    // DCA ladders of limit buys resting three days, in the fall of June 2022: the liquidation comes while rungs rest,
    // which went on to fill (three buys after the liquidation) before the backtester cancelled them.
    const result = await runBacktest({
      dataDir: DATA_DIR, symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BNB/USDT', 'XRP/USDT'], timeframe: '1h', from: '2022-04-01', to: '2022-06-30',
      strategies: strategySelection(['dcaGrid'], { regime: { enabled: false }, breaker: { enabled: false } }),
      orders: { type: 'limit', offsetBps: 0, timeInForceMs: 72 * 3_600_000 },
      risk: { maxDrawdown: 0.005, liquidateOnDrawdown: true }, cash: 10_000,
    });
    const soldAt = result.fills.find((f) => f.intent === 'liquidation')?.time;
    expect(soldAt).toBe(Date.UTC(2022, 5, 14, 2));
    expect(result.fills.filter((f) => f.side === 'buy' && f.time > soldAt!)).toEqual([]);
  }, 60_000);
});
