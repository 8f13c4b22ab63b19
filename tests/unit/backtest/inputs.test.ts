/** Bad backtest input is refused before anything runs, with a message naming what is wrong. */
import path from 'node:path';
import { buildCli } from '../../../client/cli';
import { runBacktest, strategySelection, type BacktestOptions } from '../../../backtest';
import { parseTime, prepareData } from '../../../backtest/data';
import type { Candle } from '../../../domain/types';

const DATA_DIR = path.join(__dirname, '../../../../shared/data/ohlcv');
const base: BacktestOptions = {
  dataDir: DATA_DIR, symbols: ['BTC/USDT'], timeframe: '1h', from: '2023-01-01', to: '2023-01-31', strategies: strategySelection(['smaCross']),
};

describe('backtest input checks', () => {
  it('reads dates in UTC, a date alone as `to` covering that day', () => {
    expect(parseTime('2023-01-01', 'from')).toBe(Date.UTC(2023, 0, 1));
    expect(parseTime('2023-01-31', 'to', true)).toBe(Date.UTC(2023, 1, 1));
    expect(parseTime('2023-01-01T06:00', 'from')).toBe(Date.UTC(2023, 0, 1, 6));
    expect(() => parseTime('2023-02-30', 'from')).toThrow("from: '2023-02-30' is not a date");
    expect(() => parseTime('yesterday', 'to')).toThrow("to: 'yesterday' is not a date");
  });

  it('refuses bad ranges, symbols, files and strategies', async () => {
    await expect(runBacktest({ ...base, from: '2023-02-01', to: '2023-01-01' })).rejects.toThrow(/^from 2023-02-01T00:00:00.000Z must be before to 2023-01-02T00:00:00.000Z/);
    await expect(runBacktest({ ...base, symbols: ['btc-usdt'] })).rejects.toThrow("symbols: 'btc-usdt' is not BASE/QUOTE in capitals");
    await expect(runBacktest({ ...base, symbols: ['LTC/USDT'] })).rejects.toThrow(/LTC\/USDT: replay dir .* has no file \*_LTC-USDT_1h.csv/);
    await expect(runBacktest({ ...base, dataDir: '/nonexistent/dir' })).rejects.toThrow(/BTC\/USDT: replay dir \/nonexistent\/dir cannot be read/);
    await expect(runBacktest({ ...base, from: '2030-01-01', to: '2030-02-01' })).rejects.toThrow(/BTC\/USDT: no 1h candles between 2030-01-01T00:00:00.000Z and 2030-02-02T00:00:00.000Z \(its file covers 2021-04-04/);
    await expect(runBacktest({ ...base, timeframe: '2h' })).rejects.toThrow("timeframe: '2h' is not one of");
    const fiveMinutes = { ...base, timeframe: '5m', from: '2025-09-01', to: '2025-09-02' };
    const longRegime = strategySelection(['smaCross'], { regime: { timeframe: '4h', volRankWindow: 1_000 } });
    await expect(runBacktest({ ...fiveMinutes, strategies: longRegime })).rejects.toThrow(/the enabled strategies need \d+ 5m candles of history per cycle, more than a cycle may fetch \(20000\)/);
    await expect(runBacktest({ ...fiveMinutes, symbols: ['ETH/USDT'], dataDir: path.join(DATA_DIR, 'nonexistent') })).rejects.toThrow(/ETH\/USDT: replay dir .*nonexistent cannot be read/);
    expect(() => strategySelection(['moonshot'])).toThrow("strategy: unknown strategy 'moonshot' (known: smaCross, momentum");
    await expect(runBacktest({ ...base, strategies: strategySelection(['smaCross'], { smaCross: { fast: 30, slow: 20 } }) })).rejects.toThrow('strategy parameters: smaCross.fast: fast must be shorter than slow');
  });

  it('builds the timeline as the union of the symbols\' candles within the range', () => {
    const c = (t: number): Candle => [t, 1, 1, 1, 1, 1];
    const data = prepareData(
      { dataDir: 'x', symbols: ['AAA/USDT', 'BBB/USDT'], timeframe: '1h', from: 3_600_000, to: 5 * 3_600_000 },
      { 'AAA/USDT': [c(0), c(3_600_000), c(3 * 3_600_000)], 'BBB/USDT': [c(2 * 3_600_000), c(4 * 3_600_000), c(5 * 3_600_000)] },
    );
    expect(data.timeline).toEqual([1, 2, 3, 4].map((h) => h * 3_600_000));
  });

  it('tradectl backtest names a bad option without running anything', async () => {
    const errors: string[] = [];
    const cli = buildCli(() => undefined, (l) => errors.push(l));
    cli.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined });
    for (const sub of cli.commands) sub.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined }).exitOverride();
    const run = (...args: string[]) => cli.parseAsync(['node', 'tradectl', 'backtest', '--data', DATA_DIR, '--symbols', 'BTC/USDT', '--strategy', 'smaCross', ...args]);
    await expect(run('--from', '2023-13-01', '--to', '2023-02-01')).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(errors.join('')).toMatch(/from: '2023-13-01' is not a date/);
    await expect(run('--from', '2023-01-01', '--to', '2023-02-01', '--cash', '-5')).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(errors.join('')).toMatch(/'-5' is not a positive number \(--cash\)/);
    await expect(run('--from', '2023-01-01', '--to', '2023-02-01', '--params', '{bad')).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(errors.join('')).toMatch(/--params is not JSON/);
    await expect(run('--from', '2023-01-01', '--to', '2023-02-01', '--strategy', 'nope')).rejects.toThrow("strategy: unknown strategy 'nope'");
  });
});
