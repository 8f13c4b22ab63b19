import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saveOrder } from '../../activities/persistence/orderStore';
import { buildCli, main, parseAssignments } from '../../client/cli';
import { applyConfigPatch, applyRiskPatch, defaultConfig } from '../../domain/config';
import { closeDatabases, migrateDatabase, openDatabase } from '../../prisma/database';

describe('tradectl arguments', () => {
  it('turns key=value pairs into a nested setConfig patch', () => {
    expect(parseAssignments(['risk.maxAssetWeight=0.1', 'intervalMs=30000', 'llm.model=qwen2.5:7b'])).toEqual({
      risk: { maxAssetWeight: 0.1 }, intervalMs: 30000, llm: { model: 'qwen2.5:7b' },
    });
    expect(() => parseAssignments(['risk.maxAssetWeight'])).toThrow("'risk.maxAssetWeight' is not key=value (e.g. risk.maxAssetWeight=0.1)");
  });

  it('refuses bad options before contacting anything, naming the problem', async () => {
    const errors: string[] = [];
    const cli = buildCli(() => undefined, (l) => errors.push(l));
    cli.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined });
    for (const sub of cli.commands) sub.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined }).exitOverride();
    await expect(cli.parseAsync(['node', 'tradectl', 'start', '--interval', 'soon'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(errors.join('')).toMatch(/'soon' is not a duration/);
    await expect(cli.parseAsync(['node', 'tradectl', 'start', '--symbols', 'btc-usdt'])).rejects.toThrow(
      'invalid configuration: symbols.0: expected BASE/QUOTE in capitals, e.g. BTC/USDT',
    );
    await expect(cli.parseAsync(['node', 'tradectl', 'start', '--live'])).rejects.toThrow(/--live needs TRADER_LIVE_TRADING=i-accept-real-money-risk/);
  });
});

describe('issue 12: refusals that name the field', () => {
  /** Runs a command through buildCli, collecting what commander and the command print. */
  async function run(args: string[]): Promise<{ error?: Error & { code?: string }; printed: string }> {
    const printed: string[] = [];
    const cli = buildCli((l) => printed.push(l), (l) => printed.push(l));
    cli.configureOutput({ writeErr: (s) => printed.push(s), writeOut: (s) => printed.push(s) });
    for (const sub of cli.commands) sub.configureOutput({ writeErr: (s) => printed.push(s), writeOut: (s) => printed.push(s) }).exitOverride();
    try {
      await cli.parseAsync(['node', 'tradectl', ...args]);
      return { printed: printed.join('') };
    } catch (err) {
      return { error: err as Error, printed: printed.join('') };
    }
  }
  const backtestArgs = ['--data', '../shared/data/ohlcv', '-s', 'BTC/USDT', '--from', '2023-01-01', '--to', '2023-02-01', '--strategy', 'momentum'];

  it('start --market replay:/nonexistent is refused before anything starts', async () => {
    const { error } = await run(['start', '--market', 'replay:/nonexistent']);
    expect(error?.message).toMatch(/^market: replay dir \/nonexistent cannot be read \(ENOENT\)/);
  });

  it('start on a replay directory without the symbols\' candles is refused naming the file it lacks', async () => {
    const { error } = await run(['start', '--market', 'replay:../shared/data/ohlcv', '--symbols', 'NOPE/USDT']);
    expect(error?.message).toMatch(/^market: replay dir \S*shared\/data\/ohlcv has no file \*_NOPE-USDT_1h\.csv for NOPE\/USDT 1h$/);
  });

  it('set market=replay:/nope is refused before the update is sent', async () => {
    const { error } = await run(['set', 'market=replay:/nope']);
    expect(error?.message).toMatch(/^market: replay dir \/nope cannot be read/);
  });

  it('a paper --market live:notanexchange is refused instead of falling back to the simulator', async () => {
    const { error } = await run(['start', '--market', 'live:notanexchange']);
    expect(error?.message).toBe("market: 'notanexchange' is not an exchange ccxt knows (e.g. binance, coinbase, kraken, kucoin, okx)");
  });

  it('a live portfolio on replayed candles is refused at start', async () => {
    process.env.TRADER_LIVE_TRADING = 'i-accept-real-money-risk';
    try {
      const { error } = await run(['start', '--live', '--market', 'replay:../shared/data/ohlcv']);
      expect(error?.message).toBe("invalid configuration: market: live mode trades only on live:<exchange> market data, got 'replay:../shared/data/ohlcv'");
    } finally {
      delete process.env.TRADER_LIVE_TRADING;
    }
  });

  it('backtest --llm maybe fails with its message (main prints it and exits 1)', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((l: string) => void lines.push(l));
    try {
      expect(await main(['node', 'tradectl', 'backtest', ...backtestArgs, '--llm', 'maybe'])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(lines).toEqual(["tradectl: --llm must be one of fallback, approve, ollama, got 'maybe'"]);
  });

  it('backtest-search --search annealing fails with its message', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((l: string) => void lines.push(l));
    try {
      expect(await main(['node', 'tradectl', 'backtest-search', ...backtestArgs, '--space', '{"momentum.fast":[10]}', '--search', 'annealing'])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(lines).toEqual(["tradectl: --search must be grid or random, got 'annealing'"]);
  });

  it('backtest-search --test-days 0.0001 is refused at once', async () => {
    const { error, printed } = await run(['backtest-search', ...backtestArgs, '--space', '{"momentum.fast":[10]}', '--test-days', '0.0001']);
    expect(error).toMatchObject({ code: 'commander.invalidArgument' });
    expect(printed).toMatch(/'0\.0001' is not a whole number of days >= 1 \(--test-days\)/);
  });

  it('set-risk cooldowns=5 is refused by the update validator instead of changing nothing', () => {
    const check = applyRiskPatch(defaultConfig(), parseAssignments(['cooldowns=5']) as never);
    expect(check).toEqual({ ok: false, reason: 'cooldowns: expected an object of settings (e.g. cooldowns.<name>=<value>), got 5' });
    const viaSet = applyConfigPatch(defaultConfig(), parseAssignments(['risk.cooldowns=5']) as never);
    expect(viaSet).toEqual({ ok: false, reason: 'risk.cooldowns: expected an object of settings (e.g. risk.cooldowns.<name>=<value>), got 5' });
    expect(applyConfigPatch(defaultConfig(), parseAssignments(['llm=qwen']) as never)).toMatchObject({ ok: false, reason: expect.stringMatching(/^llm: expected an object/) });
  });

  it('set __proto__.polluted=1 is refused and pollutes nothing', () => {
    expect(() => parseAssignments(['__proto__.polluted=1'])).toThrow("'__proto__.polluted': '__proto__' is not a setting name (letters, digits and _, e.g. risk.maxAssetWeight)");
    expect(() => parseAssignments(['risk.constructor.prototype.x=1'])).toThrow(/'constructor' is not a setting name/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('piped output is written whole, past the 65,536-byte pipe buffer, before the process exits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-pipe-'));
    const url = `file:${path.join(dir, 'trader.db')}`;
    await migrateDatabase(url);
    const db = openDatabase(url);
    const base = { portfolioId: 'pipe', cycleId: 'c', symbol: 'BTC/USDT', side: 'buy' as const, type: 'market' as const, quantity: 0.01, referencePrice: 50_000 };
    for (let i = 0; i < 400; i++) {
      const req = { ...base, clientOrderId: `tt-pipe-${i}`, cycleId: `pipe-cycle-${i}` };
      await saveOrder(req, {
        clientOrderId: req.clientOrderId, symbol: req.symbol, side: 'buy', status: 'filled', requestedQuantity: 0.01, filledQuantity: 0.01, avgPrice: 50_000,
        fee: 0.05, fills: [{ price: 50_000, quantity: 0.01, fee: 0.05, timestamp: 1_700_000_000_000 + i }], deduplicated: false,
      }, { mode: 'paper', market: 'sim:42' }, db);
    }
    await closeDatabases();
    const child = spawnSync(process.execPath, [path.resolve(__dirname, '../../bin/tradectl.js'), 'orders', '-p', 'pipe', '-n', '400', '--json'], {
      env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    });
    expect(child.status).toBe(0);
    expect(Buffer.byteLength(child.stdout)).toBeGreaterThan(65_536 * 2);
    expect(JSON.parse(child.stdout)).toHaveLength(400);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
