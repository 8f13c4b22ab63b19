/**
 * Trust test: a reference backtest on real candles must close exactly the trades recorded in
 * tests/fixtures/backtest-fingerprint.json. Any change to what the trading cycle, the strategies, the risk engine
 * or the paper broker decide shows up here as the first trade that differs.
 *
 * After an INTENDED change, review the differences, then record the new reference deliberately:
 *     UPDATE_FINGERPRINT=1 npx jest tests/unit/backtest/fingerprint
 * and commit the fixture with the change that explains it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { runBacktest, strategySelection } from '../../../backtest';
import { fingerprint, tradeLine, type Fingerprint } from '../../../backtest/fingerprint';

const FIXTURE = path.join(__dirname, '../../fixtures/backtest-fingerprint.json');
const DATA_DIR = path.join(__dirname, '../../../../shared/data/ohlcv');

/** Four strategies with their default parameters, regime and breaker off: market and resting limit (DCA ladder) entries. */
const REFERENCE = {
  dataDir: DATA_DIR,
  symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'],
  timeframe: '1h',
  from: '2023-01-01',
  to: '2023-06-30',
  strategies: strategySelection(['smaCross', 'meanReversion', 'breakout', 'dcaGrid'], { regime: { enabled: false }, breaker: { enabled: false } }),
  cash: 10_000,
};

describe('backtest fingerprint', () => {
  it('closes exactly the recorded trades on BTC, ETH and SOL 1h, 2023-01-01 to 2023-06-30', async () => {
    const actual = fingerprint(await runBacktest(REFERENCE));
    if (process.env.UPDATE_FINGERPRINT === '1') {
      await fs.writeFile(FIXTURE, `${JSON.stringify({ reference: { ...REFERENCE, dataDir: '../shared/data/ohlcv' }, ...actual }, null, 2)}\n`);
      return;
    }
    const expected = JSON.parse(await fs.readFile(FIXTURE, 'utf8')) as Fingerprint;
    // Lines first: a failure then names the first trade that changed, not just a different hash.
    expect(actual.lines).toEqual(expected.lines);
    expect({ ...actual, lines: undefined }).toEqual({ ...expected, reference: undefined, lines: undefined });
    expect(actual.trades).toBeGreaterThan(20);
  });

  it('changes when any trade changes by more than the rounding', async () => {
    const trade = {
      symbol: 'BTC/USDT', strategy: 'smaCross', entryTime: Date.UTC(2023, 0, 1), exitTime: Date.UTC(2023, 0, 2), entryPrice: 16500.12345678,
      exitPrice: 16600, quantity: 0.1, fees: 3.3, pnl: 6.67, returnPct: 0.004, exitReason: 'take-profit',
    };
    const base = { trades: [trade], fills: [], openTrades: [], finalEquity: 10_006.67 } as never;
    const moved = { trades: [{ ...trade, exitPrice: 16600.00000002 }], fills: [], openTrades: [], finalEquity: 10_006.67 } as never;
    const noise = { trades: [{ ...trade, exitPrice: 16600.000000001 }], fills: [], openTrades: [], finalEquity: 10_006.67 } as never;
    expect(fingerprint(moved).sha256).not.toBe(fingerprint(base).sha256);
    expect(fingerprint(noise).sha256).toBe(fingerprint(base).sha256);
    expect(tradeLine(trade)).toBe('BTC/USDT|smaCross|2023-01-01T00:00:00.000Z|2023-01-02T00:00:00.000Z|16500.12345678|16600.00000000|0.10000000|3.30000000|6.67000000|take-profit');
  });
});
