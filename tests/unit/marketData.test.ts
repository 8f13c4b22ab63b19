import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { parseCandleCsv, validateCandles } from '../../domain/candles';
import type { Candle } from '../../domain/types';
import { fetchMarketData, fetchNextPrice, probeMarket } from '../../activities/market';
import { liveExchange, toMarketFailure } from '../../activities/market/ccxtSource';
import { loadCcxt } from '../../activities/market/loadCcxt';
import { SIM_EPOCH_MS, simSeries } from '../../activities/market/simMarket';

const OHLCV_DIR = path.resolve(__dirname, '../../../shared/data/ohlcv');
const REPLAY = `replay:${OHLCV_DIR}`;
const H = 3_600_000;

function readReal(file: string): Candle[] {
  const full = path.join(OHLCV_DIR, file);
  return parseCandleCsv(readFileSync(full, 'utf8'), full);
}

const btc = readReal('binance_BTC-USDT_1h.csv');
const eth = readReal('binance_ETH-USDT_1h.csv');
const sol = readReal('binance_SOL-USDT_1h.csv');

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'market-data-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A replay dir holding the given files, each `name -> csv text`. */
function replayDir(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  return dir;
}

function firstLines(file: string, rows: number): string {
  return readFileSync(path.join(OHLCV_DIR, file), 'utf8').split('\n').slice(0, rows + 1).join('\n') + '\n';
}

describe('replay market over real Binance candles', () => {
  const input = { market: REPLAY, symbols: ['BTC/USDT', 'ETH/USDT'], timeframe: '1h', limit: 60 };

  it('starts where every symbol has a full window', async () => {
    const result = await fetchMarketData({ ...input, cursor: { time: null } });
    const start = Math.max(btc[59][0], eth[59][0]);
    expect(result.exhausted).toBe(false);
    expect(result.nextCursor).toEqual({ time: start });
    expect(result.snapshots.map((s) => s.symbol)).toEqual(['BTC/USDT', 'ETH/USDT']);
    for (const snapshot of result.snapshots) {
      expect(snapshot).toMatchObject({ timeframe: '1h', source: REPLAY });
      expect(snapshot.candles).toHaveLength(60);
      expect(snapshot.candles[59][0]).toBe(start);
    }
    expect(result.snapshots[0].candles).toEqual(btc.slice(0, 60));
  });

  it('aligns the first cycle on the symbol whose history starts last', async () => {
    // SOL's file starts an hour after BTC's.
    expect(sol[0][0]).toBe(btc[0][0] + H);
    const result = await fetchMarketData({ ...input, symbols: ['BTC/USDT', 'SOL/USDT'], cursor: { time: null } });
    expect(result.nextCursor.time).toBe(sol[59][0]);
    expect(result.snapshots[0].candles).toEqual(btc.slice(1, 61));
    expect(result.snapshots[1].candles).toEqual(sol.slice(0, 60));
  });

  it('advances one candle of the first symbol per cycle, and the next price is the next open', async () => {
    let cursor = { time: null as number | null };
    for (let cycle = 0; cycle < 5; cycle++) {
      const result = await fetchMarketData({ ...input, cursor });
      const btcCandles = result.snapshots[0].candles;
      expect(result.nextCursor.time).toBe(btc[59 + cycle][0]);
      expect(btcCandles).toEqual(btc.slice(cycle, 60 + cycle));
      const next = await fetchNextPrice({ market: REPLAY, symbol: 'BTC/USDT', timeframe: '1h', cursor: result.nextCursor });
      expect(next).toEqual({ price: btc[60 + cycle][1], timestamp: btc[60 + cycle][0], volume: btc[60 + cycle][5] });
      const ethNext = await fetchNextPrice({ market: REPLAY, symbol: 'ETH/USDT', timeframe: '1h', cursor: result.nextCursor });
      expect(ethNext.price).toBe(eth.find((c) => c[0] > result.nextCursor.time!)![1]);
      cursor = result.nextCursor;
    }
  });

  it('steps over a gap in the data to the next candle that exists', async () => {
    const gapAt = btc.findIndex((c, i) => i > 60 && c[0] - btc[i - 1][0] > H);
    expect(gapAt).toBeGreaterThan(0);
    const result = await fetchMarketData({ ...input, cursor: { time: btc[gapAt - 1][0] } });
    expect(result.nextCursor.time).toBe(btc[gapAt][0]);
    expect(result.snapshots[0].candles).toEqual(btc.slice(gapAt - 59, gapAt + 1));
  });

  it('exhausts cleanly at the end of a short file', async () => {
    const dir = replayDir('short', { 'binance_BTC-USDT_1h.csv': firstLines('binance_BTC-USDT_1h.csv', 5) });
    const market = `replay:${dir}`;
    const base = { market, symbols: ['BTC/USDT'], timeframe: '1h', limit: 3 };
    const seen: number[] = [];
    let result = await fetchMarketData({ ...base, cursor: { time: null } });
    while (!result.exhausted) {
      seen.push(result.nextCursor.time!);
      result = await fetchMarketData({ ...base, cursor: result.nextCursor });
    }
    expect(seen).toEqual([btc[2][0], btc[3][0], btc[4][0]]);
    expect(result).toEqual({ snapshots: [], nextCursor: { time: btc[4][0] }, exhausted: true });
    // Nothing after the last candle: an order placed now fills at its close.
    const last = await fetchNextPrice({ market, symbol: 'BTC/USDT', timeframe: '1h', cursor: { time: btc[4][0] } });
    expect(last).toEqual({ price: btc[4][4], timestamp: btc[4][0] + H });
  });

  it('resolves a relative dir against the working directory', async () => {
    const relative = path.relative(process.cwd(), OHLCV_DIR);
    const result = await fetchMarketData({ ...input, market: `replay:${relative}`, cursor: { time: null } });
    expect(result.snapshots[0].candles).toEqual(btc.slice(0, 60));
  });

  it('prefers the binance file, then the alphabetically first exchange', async () => {
    const rows = (price: number) => `timestamp,open,high,low,close,volume\n${btc[0][0]},${price},${price},${price},${price},1\n`;
    const both = replayDir('prefer', { 'kraken_BTC-USDT_1h.csv': rows(2), 'binance_BTC-USDT_1h.csv': rows(1), 'aaa_BTC-USDT_1h.csv': rows(3) });
    const noBinance = replayDir('alpha', { 'kraken_BTC-USDT_1h.csv': rows(2), 'bybit_BTC-USDT_1h.csv': rows(4) });
    const base = { symbols: ['BTC/USDT'], timeframe: '1h', limit: 1, cursor: { time: null } };
    expect((await fetchMarketData({ ...base, market: `replay:${both}` })).snapshots[0].candles[0][1]).toBe(1);
    expect((await fetchMarketData({ ...base, market: `replay:${noBinance}` })).snapshots[0].candles[0][1]).toBe(4);
  });

  it('fails for good on a duplicate row, naming symbol and row', async () => {
    const lines = firstLines('binance_BTC-USDT_1h.csv', 6).split('\n');
    lines.splice(4, 0, lines[3]);
    const dir = replayDir('duplicate', { 'binance_BTC-USDT_1h.csv': lines.join('\n') });
    const failure = await failureOf(
      fetchMarketData({ market: `replay:${dir}`, symbols: ['BTC/USDT'], timeframe: '1h', limit: 2, cursor: { time: null } }),
    );
    expect(failure).toMatchObject({ type: 'InvalidCandles', nonRetryable: true });
    expect(failure.message).toContain('BTC/USDT row 3');
    expect(failure.message).toContain('timestamps strictly ascending');
    expect(failure.message).toContain(path.join(dir, 'binance_BTC-USDT_1h.csv'));
  });

  it('fails for good on high below low', async () => {
    const t = btc[0][0];
    const csv = `timestamp,open,high,low,close,volume\n${t},10,11,9,10,1\n${t + H},10,9,11,10,1\n${t + 2 * H},10,11,9,10,1\n`;
    const dir = replayDir('highlow', { 'binance_ETH-USDT_1h.csv': csv });
    const failure = await failureOf(
      fetchMarketData({ market: `replay:${dir}`, symbols: ['ETH/USDT'], timeframe: '1h', limit: 1, cursor: { time: null } }),
    );
    expect(failure).toMatchObject({ type: 'InvalidCandles', nonRetryable: true });
    expect(failure.message).toContain('ETH/USDT row 1');
    expect(failure.message).toContain('[rule high>=low]');
  });

  it('fails for good on an unparseable number, naming file, line and column', async () => {
    const dir = replayDir('garbage', { 'binance_BTC-USDT_1h.csv': 'timestamp,open,high,low,close,volume\n1,2,3,oops,2,1\n' });
    const failure = await failureOf(
      fetchMarketData({ market: `replay:${dir}`, symbols: ['BTC/USDT'], timeframe: '1h', limit: 1, cursor: { time: null } }),
    );
    expect(failure).toMatchObject({ type: 'InvalidCandles', nonRetryable: true });
    expect(failure.message).toContain('line 2, column 4 (low)');
  });

  it('names dir, symbol and timeframe when data is missing', async () => {
    const missingDir = path.join(tmp, 'does-not-exist');
    const noDir = await failureOf(
      fetchMarketData({ market: `replay:${missingDir}`, symbols: ['BTC/USDT'], timeframe: '1h', limit: 60, cursor: { time: null } }),
    );
    expect(noDir).toMatchObject({ type: 'ReplayDataMissing', nonRetryable: true });
    expect(noDir.message).toContain(missingDir);
    expect(noDir.message).toContain('BTC/USDT 1h');

    const noFile = await failureOf(
      fetchMarketData({ ...input, symbols: ['BTC/USDT', 'PEPE/USDT'], timeframe: '1h', cursor: { time: null } }),
    );
    expect(noFile).toMatchObject({ type: 'ReplayDataMissing', nonRetryable: true });
    expect(noFile.message).toContain(OHLCV_DIR);
    expect(noFile.message).toContain('PEPE/USDT 1h');

    const tooShort = await failureOf(
      fetchMarketData({ market: `replay:${path.join(tmp, 'short')}`, symbols: ['BTC/USDT'], timeframe: '1h', limit: 60, cursor: { time: null } }),
    );
    expect(tooShort).toMatchObject({ type: 'ReplayDataMissing' });
    expect(tooShort.message).toContain('only 5 1h candles for BTC/USDT');
  });

  it('probes the replay dir', async () => {
    await expect(probeMarket(REPLAY)).resolves.toEqual({ ok: true });
    const empty = replayDir('empty', {});
    await expect(probeMarket(`replay:${empty}`)).resolves.toMatchObject({ ok: false, reason: expect.stringContaining('no .csv') });
    await expect(probeMarket(`replay:${path.join(tmp, 'nope')}`)).resolves.toMatchObject({ ok: false });
  });
});

describe('input checks', () => {
  it('refuses an unknown market prefix', async () => {
    const failure = await failureOf(
      fetchMarketData({ market: 'csv:/tmp', symbols: ['BTC/USDT'], timeframe: '1h', limit: 60, cursor: { time: null } }),
    );
    expect(failure).toMatchObject({ type: 'InvalidMarketSource', nonRetryable: true });
    await expect(probeMarket('csv:/tmp')).resolves.toMatchObject({ ok: false, reason: expect.stringContaining("unknown market 'csv:/tmp'") });
  });

  it('refuses a bad timeframe and a bad limit', async () => {
    const base = { market: 'sim', symbols: ['BTC/USDT'], cursor: { time: null } };
    expect(await failureOf(fetchMarketData({ ...base, timeframe: '1M', limit: 60 }))).toMatchObject({ type: 'InvalidTimeframe' });
    expect(await failureOf(fetchMarketData({ ...base, timeframe: '1h', limit: 0 }))).toMatchObject({ type: 'InvalidInput' });
  });
});

describe('sim market', () => {
  const base = { symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT'], timeframe: '1h', limit: 60 };

  it('walks the timeframe grid from its epoch, one candle per cycle, never exhausting', async () => {
    const first = await fetchMarketData({ ...base, market: 'sim:7', cursor: { time: null } });
    expect(first.nextCursor.time).toBe(SIM_EPOCH_MS + 59 * H);
    expect(first.exhausted).toBe(false);
    for (const s of first.snapshots) {
      expect(s.source).toBe('sim:7');
      expect(s.candles).toHaveLength(60);
      expect(s.candles.map((c) => c[0])).toEqual(Array.from({ length: 60 }, (_, i) => SIM_EPOCH_MS + i * H));
    }
    expect(first.snapshots.map((s) => s.candles[0][1])).toEqual([60_000, 3_000, 150, 100]);

    const second = await fetchMarketData({ ...base, market: 'sim:7', cursor: first.nextCursor });
    expect(second.nextCursor.time).toBe(SIM_EPOCH_MS + 60 * H);
    expect(second.snapshots[0].candles.slice(0, 59)).toEqual(first.snapshots[0].candles.slice(1));

    const next = await fetchNextPrice({ market: 'sim:7', symbol: 'BTC/USDT', timeframe: '1h', cursor: first.nextCursor });
    expect(next).toEqual({ price: second.snapshots[0].candles[59][1], timestamp: SIM_EPOCH_MS + 60 * H, volume: second.snapshots[0].candles[59][5] });
    // Crypto trades around the clock: the next open is the last close.
    expect(next.price).toBe(first.snapshots[0].candles[59][4]);
  });

  it('gives the same candles for the same seed, in another process too', async () => {
    const a = await fetchMarketData({ ...base, market: 'sim:7', cursor: { time: SIM_EPOCH_MS + 500 * H } });
    const b = await fetchMarketData({ ...base, market: 'sim:7', cursor: { time: SIM_EPOCH_MS + 500 * H } });
    expect(a).toEqual(b);

    const script = `
      const { simSeries } = require(${JSON.stringify(path.resolve(__dirname, '../../activities/market/simMarket'))});
      process.stdout.write(JSON.stringify(simSeries(7, 'BTC/USDT', '1h', ${H}, 502).slice(442)));`;
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const fromChild = JSON.parse(execFileSync(tsx, ['-e', script], { encoding: 'utf8' }));
    expect(fromChild).toEqual(a.snapshots[0].candles);
  });

  it('differs between seeds and between symbols', async () => {
    const seven = simSeries(7, 'BTC/USDT', '1h', H, 100);
    const eight = simSeries(8, 'BTC/USDT', '1h', H, 100);
    expect(seven[99][4]).not.toBe(eight[99][4]);
    const ethCloses = simSeries(7, 'ETH/USDT', '1h', H, 100).map((c) => c[4] / 3000);
    expect(seven.map((c) => c[4] / 60000)).not.toEqual(ethCloses);
    // `sim` alone is a fixed default seed, not a random one.
    const plainA = await fetchMarketData({ ...base, market: 'sim', cursor: { time: null } });
    const plainB = await fetchMarketData({ ...base, market: 'sim', cursor: { time: null } });
    expect(plainA.snapshots).toEqual(plainB.snapshots);
  });

  it('has clustered volatility and fat tails, with valid candles and plausible volume', () => {
    for (const [seed, symbol] of [[1, 'BTC/USDT'], [2, 'ETH/USDT'], [3, 'SOL/USDT']] as const) {
      const candles = simSeries(seed, symbol, '1h', H, 4000) as Candle[];
      expect(() => validateCandles(symbol, candles)).not.toThrow();
      const returns = candles.slice(1).map((c, i) => Math.log(c[4] / candles[i][4]));
      expect(lagOneAutocorrelation(returns.map(Math.abs))).toBeGreaterThan(0.1);
      expect(excessKurtosis(returns)).toBeGreaterThan(1);
      // A plain random walk would show neither.
      expect(candles.every((c) => c[5] > 0)).toBe(true);
    }
    const btcCandles = simSeries(1, 'BTC/USDT', '1h', H, 4000);
    const meanVolume = btcCandles.reduce((sum, c) => sum + c[5], 0) / btcCandles.length;
    expect(meanVolume).toBeGreaterThan(200);
    expect(meanVolume).toBeLessThan(5000);
    const closes = btcCandles.map((c) => c[4]);
    expect(Math.min(...closes)).toBeGreaterThan(20_000);
    expect(Math.max(...closes)).toBeLessThan(180_000);
  });

  it('probes ok', async () => {
    await expect(probeMarket('sim:3')).resolves.toEqual({ ok: true });
  });
});

function lagOneAutocorrelation(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    den += (xs[i] - mean) ** 2;
    if (i > 0) num += (xs[i] - mean) * (xs[i - 1] - mean);
  }
  return num / den;
}

function excessKurtosis(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return xs.reduce((a, b) => a + (b - mean) ** 4, 0) / xs.length / variance ** 2 - 3;
}

describe('live market (no network here)', () => {
  it('probes an unreachable exchange quickly and without throwing', async () => {
    const started = Date.now();
    const result = await probeMarket('live:binance', 1500);
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ reason: expect.stringContaining('live:binance unreachable') });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('refuses an exchange ccxt does not know', async () => {
    const failure = await failureOf(
      fetchMarketData({ market: 'live:nosuchexchange', symbols: ['BTC/USDT'], timeframe: '1h', limit: 60, cursor: { time: null } }),
    );
    expect(failure).toMatchObject({ type: 'InvalidMarketSource', nonRetryable: true });
    expect(failure.message).toContain('nosuchexchange');
    await expect(probeMarket('live:nosuchexchange', 500)).resolves.toMatchObject({ ok: false });
  });

  it('maps ccxt errors to retryable or final failures', () => {
    const ccxt = loadCcxt();
    const cases: Array<[Error, string, boolean]> = [
      [new ccxt.NetworkError('down'), 'MarketUnreachable', false],
      [new ccxt.RequestTimeout('slow'), 'MarketUnreachable', false],
      [new ccxt.ExchangeNotAvailable('maintenance'), 'MarketUnreachable', false],
      [new ccxt.DDoSProtection('cloudflare'), 'MarketRateLimited', false],
      [new ccxt.RateLimitExceeded('429'), 'MarketRateLimited', false],
      [new ccxt.BadSymbol('no FOO/BAR'), 'UnknownSymbol', true],
      [new ccxt.ExchangeError('weird'), 'ExchangeError', true],
    ];
    for (const [error, type, nonRetryable] of cases) {
      expect(toMarketFailure(error, 'live:x BTC/USDT')).toMatchObject({ type, nonRetryable, message: expect.stringContaining('live:x BTC/USDT') });
    }
    const plain = new TypeError('bug');
    expect(toMarketFailure(plain, 'ctx')).toBe(plain);
  });

  it('forgets a failed market load so the retry asks the exchange again', async () => {
    const ccxt = loadCcxt();
    const exchange = liveExchange('kraken') as unknown as { marketsLoading?: Promise<unknown>; fetchOHLCV: unknown };
    const failedLoad = Promise.reject(new ccxt.NetworkError('offline'));
    failedLoad.catch(() => undefined);
    exchange.marketsLoading = failedLoad;
    exchange.fetchOHLCV = async () => {
      throw new ccxt.NetworkError('kraken GET /public/AssetPairs fetch failed');
    };
    const failure = await failureOf(
      fetchMarketData({ market: 'live:kraken', symbols: ['BTC/USD'], timeframe: '1h', limit: 60, cursor: { time: null } }),
    );
    expect(failure).toMatchObject({ type: 'MarketUnreachable', nonRetryable: false });
    expect(exchange.marketsLoading).toBeUndefined();
  });

  it('drops the still-open candle and validates what the exchange sent', async () => {
    // The shared instance is stubbed so the unified-API plumbing runs without a network.
    const exchange = liveExchange('bitstamp');
    const hour = Math.floor(Date.now() / H) * H;
    const rows = Array.from({ length: 6 }, (_, i) => [hour - (5 - i) * H, 10, 11, 9, 10, 1]);
    const original = { fetchOHLCV: exchange.fetchOHLCV, fetchTicker: exchange.fetchTicker };
    try {
      exchange.fetchOHLCV = (async () => rows.map((r) => [...r])) as unknown as typeof exchange.fetchOHLCV;
      const result = await fetchMarketData({ market: 'live:bitstamp', symbols: ['BTC/USD'], timeframe: '1h', limit: 3, cursor: { time: 123 } });
      expect(result.snapshots[0].candles.map((c) => c[0])).toEqual([hour - 3 * H, hour - 2 * H, hour - H]);
      expect(result).toMatchObject({ nextCursor: { time: hour - H }, exhausted: false });
      expect(result.snapshots[0].source).toBe('live:bitstamp');

      rows[2][2] = 8;
      const failure = await failureOf(
        fetchMarketData({ market: 'live:bitstamp', symbols: ['BTC/USD'], timeframe: '1h', limit: 5, cursor: { time: null } }),
      );
      expect(failure).toMatchObject({ type: 'InvalidCandles', nonRetryable: true });
      expect(failure.message).toContain('BTC/USD row 2');

      exchange.fetchTicker = (async () => ({ last: 42_000.5, timestamp: 1_700_000_000_000 })) as unknown as typeof exchange.fetchTicker;
      await expect(fetchNextPrice({ market: 'live:bitstamp', symbol: 'BTC/USD', timeframe: '1h', cursor: { time: null } })).resolves.toEqual({
        price: 42_000.5,
        timestamp: 1_700_000_000_000,
      });
    } finally {
      Object.assign(exchange, original);
    }
  });
  it('pages through fetchOHLCV with `since` when a cycle needs more candles than one call returns', async () => {
    // Binance serves at most 1,000 candles per call (ccxt's features); the regime detector at 5m needs 2,328.
    const exchange = liveExchange('binance');
    const M5 = 300_000;
    const now = Date.now();
    const open = Math.floor(now / M5) * M5; // the candle still open
    const market = Array.from({ length: 3_000 }, (_, i) => [open - (2_999 - i) * M5, 10, 11, 9, 10, 1]);
    const calls: Array<{ since: number | undefined; limit: number | undefined }> = [];
    const original = exchange.fetchOHLCV;
    try {
      exchange.fetchOHLCV = (async (_symbol: string, _tf: string, since?: number, limit?: number) => {
        calls.push({ since, limit });
        const from = since === undefined ? market.length - (limit ?? 500) : market.findIndex((c) => c[0] >= since);
        return market.slice(from, from + Math.min(limit ?? 500, 1_000)).map((c) => [...c]);
      }) as unknown as typeof exchange.fetchOHLCV;
      // closedBy = now's candle open: what "closed by now" means, without depending on the clock during the test.
      const result = await fetchMarketData({ market: 'live:binance', symbols: ['BTC/USDT'], timeframe: '5m', limit: 2_328, cursor: { time: null }, closedBy: open });
      const times = result.snapshots[0].candles.map((c) => c[0]);
      expect(times).toEqual(Array.from({ length: 2_328 }, (_, i) => open - (2_328 - i) * M5));
      expect(calls).toEqual([
        { since: open - 2_328 * M5, limit: 1_000 },
        { since: open - 1_328 * M5, limit: 1_000 },
        { since: open - 328 * M5, limit: 328 },
      ]);

      // Closed by now (the wall clock): the same paging.
      calls.length = 0;
      const byNow = await fetchMarketData({ market: 'live:binance', symbols: ['BTC/USDT'], timeframe: '5m', limit: 2_328, cursor: { time: null } });
      expect(byNow.snapshots[0].candles).toHaveLength(2_328);
      expect(calls.map((c) => c.limit)).toEqual([1_000, 1_000, 328]);

      // Within one call's reach nothing changes: one call, latest candles, the open one dropped.
      calls.length = 0;
      const small = await fetchMarketData({ market: 'live:binance', symbols: ['BTC/USDT'], timeframe: '5m', limit: 400, cursor: { time: null } });
      expect(calls).toEqual([{ since: undefined, limit: 401 }]);
      expect(small.snapshots[0].candles.map((c) => c[0])).toEqual(times.slice(-400));

      // closedBy: the candles closed at that time, even when newer ones have closed since (a late retry).
      calls.length = 0;
      const closedBy = open - 37 * M5 + 1;
      const atDecision = await fetchMarketData({ market: 'live:binance', symbols: ['BTC/USDT'], timeframe: '5m', limit: 50, cursor: { time: 1 }, closedBy });
      expect(atDecision.snapshots[0].candles.map((c) => c[0])).toEqual(Array.from({ length: 50 }, (_, i) => open - (87 - i) * M5));
      expect(atDecision.nextCursor).toEqual({ time: 1 });
      expect(calls).toEqual([{ since: open - 87 * M5, limit: 50 }]);
    } finally {
      exchange.fetchOHLCV = original;
    }
  });

  it('stops paging when the exchange has nothing more (a young market, or one that ignores since)', async () => {
    const exchange = liveExchange('kraken');
    const now = Date.now();
    const open = Math.floor(now / H) * H;
    // Kraken answers any since with its latest 720 candles.
    const latest = Array.from({ length: 721 }, (_, i) => [open - (720 - i) * H, 10, 11, 9, 10, 1]);
    let calls = 0;
    const original = exchange.fetchOHLCV;
    try {
      exchange.fetchOHLCV = (async () => {
        calls++;
        return latest.map((c) => [...c]);
      }) as unknown as typeof exchange.fetchOHLCV;
      const result = await fetchMarketData({ market: 'live:kraken', symbols: ['BTC/USD'], timeframe: '1h', limit: 1_500, cursor: { time: null } });
      expect(calls).toBe(1);
      expect(result.snapshots[0].candles.map((c) => c[0])).toEqual(latest.slice(0, 720).map((c) => c[0]));
    } finally {
      exchange.fetchOHLCV = original;
    }
  });
});
