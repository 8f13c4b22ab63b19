/**
 * Loading a portfolio's performance from the app database, written by the persistence activities themselves: marks on
 * the market's clock (a replayed market's own time, not the wall clock), fills with the strategy and exit reason their
 * decisions recorded, and the cockpit's cache, which reads only what changed and must give what a fresh read gives.
 */
import { portfolioPerformance } from '../../../analytics/performance';
import { entryStrategy, exitReason, loadPortfolioActivity, portfolioStats, RecordsCache } from '../../../analytics/portfolioRecords';
import { RECORDED_CASH, recordedPortfolio } from '../../helpers/recordedPortfolio';
import { scratchDatabase } from '../../helpers/scratchDatabase';

const HOUR = 3_600_000;
const scratch = scratchDatabase('portfolio-records');

describe('portfolio records', () => {
  it('mark a replayed market on its own clock and book each fill with its decision', async () => {
    const p = await recordedPortfolio(scratch.db, 'clock');
    expect(await p.append(65)).toBe(2); // ETH bought on cycle 40, sold on cycle 60
    const activity = (await loadPortfolioActivity('clock', { initialCash: RECORDED_CASH, timeframe: '1h' }, scratch.db))!;
    expect(activity.cycles).toBe(65);
    // Each cycle at the close of the candle its signals describe; the start one candle before the first.
    expect(activity.marks.map((m) => m.time)).toEqual(Array.from({ length: 65 }, (_, i) => p.start + (i + 1) * HOUR));
    expect(activity.start).toBe(p.start);
    expect(activity.fills.map((f) => [f.symbol, f.side, f.time, f.strategy, f.exitReason])).toEqual([
      ['ETH/USDT', 'buy', p.start + 40 * HOUR, 'model', 'entry'],
      ['ETH/USDT', 'sell', p.start + 60 * HOUR, '', 'signal-exit'],
    ]);
    const perf = portfolioPerformance(activity, 'all');
    expect(perf.trades.map((t) => [t.symbol, t.entryTime, t.exitTime, t.exitReason])).toEqual([['ETH/USDT', p.start + 40 * HOUR, p.start + 60 * HOUR, 'signal-exit']]);
    expect(perf.metrics.netPnl).toBeCloseTo(perf.final - RECORDED_CASH, 6);
  });

  it('name the strategy of an entry and the reason of an exit from the rules recorded', () => {
    const rule = (name: string) => ({ rule: name, effect: 'info' as const, detail: '' });
    expect(entryStrategy([rule('position-size'), rule('strategy:swing')])).toBe('swing');
    expect(entryStrategy(null)).toBe('model');
    expect(exitReason({ type: 'market', cycleId: 'c' }, [rule('llm-verdict'), rule('take-profit')])).toBe('take-profit');
    expect(exitReason({ type: 'market', cycleId: 'c' }, [rule('rebalance-trim')])).toBe('trim');
    expect(exitReason({ type: 'stop', cycleId: 'c' }, null)).toBe('stop-loss');
    expect(exitReason({ type: 'market', cycleId: 'portfolio-x-liquidation-3' }, null)).toBe('liquidation');
    expect(exitReason({ type: 'market', cycleId: 'c' }, [rule('exit-signal')])).toBe('signal-exit');
  });

  it('read through the cache as a fresh read does, as cycles and round trips are added', async () => {
    const p = await recordedPortfolio(scratch.db, 'cached');
    const cache = new RecordsCache();
    await p.append(30);
    const first = await loadPortfolioActivity('cached', { initialCash: RECORDED_CASH }, scratch.db, cache);
    expect(first).toEqual(await loadPortfolioActivity('cached', { initialCash: RECORDED_CASH }, scratch.db));
    for (const more of [1, 35, 1]) {
      await p.append(more);
      const cached = await loadPortfolioActivity('cached', { initialCash: RECORDED_CASH }, scratch.db, cache);
      expect(cached).toEqual(await loadPortfolioActivity('cached', { initialCash: RECORDED_CASH }, scratch.db));
    }
    const stats = (await portfolioStats('cached', 'all', { initialCash: RECORDED_CASH }, scratch.db, cache))!;
    expect(stats.cycles).toBe(67);
    expect(stats.metrics.trades).toBe(1);
    expect(stats.initialCashKnown).toBe(true);
  });
});
