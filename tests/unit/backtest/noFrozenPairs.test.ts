/**
 * Issue 11, defect 1, as a trader met it: `tradectl backtest --data ../shared/data/ohlcv --symbols
 * BTC/USDT,ETH/USDT,SOL/USDT --from 2022-01-01 --to 2022-12-31 --strategy dcaGrid,swing,channel`. A dcaGrid rung
 * part-filled for about 4 USDT on SOL on 2022-05-05; every sell of it was then refused as dust (thousands of
 * times), it rode to -88% and was still open at the end. Now no position ends below its own stop, no exit is
 * refused again and again, and SOL keeps trading.
 */
import path from 'node:path';
import { runBacktest, strategySelection, type BacktestResult } from '../../../backtest';

const DATA_DIR = path.join(__dirname, '../../../../shared/data/ohlcv');
let result: BacktestResult;

beforeAll(async () => {
  result = await runBacktest({
    dataDir: DATA_DIR, symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'], timeframe: '1h', from: '2022-01-01', to: '2022-12-31',
    strategies: strategySelection(['dcaGrid', 'swing', 'channel']), cash: 10_000, keepDecisions: false,
  });
});

it('leaves no open position below its own stop at the end', () => {
  expect(result.finalPositions.filter((p) => p.belowStop)).toEqual([]);
  expect(result.finalPositions.filter((p) => p.dust)).toEqual([]);
});

it('refuses no exit as dust, cycle after cycle', () => {
  const dust = result.refusals.top.find((r) => r.rule === 'dust-position');
  expect(dust?.count ?? 0).toBe(0);
});

it('keeps trading SOL after 2022-05-05, and its exposure is the capital in it', () => {
  const after = result.trades.filter((t) => t.symbol === 'SOL/USDT' && t.entryTime > Date.UTC(2022, 4, 6));
  expect(after.length).toBeGreaterThan(10);
  expect(result.bySymbol['SOL/USDT'].exposure).toBeLessThan(0.5);
  expect(result.capitalExposure).toBeLessThan(result.metrics.exposure);
});
