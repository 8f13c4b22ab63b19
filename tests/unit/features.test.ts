import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ATR, RSI, SMA } from 'technicalindicators';
import { computeFeatures, latestFeatureVector } from '../../activities/features';
import { alignToEnd, computeFeatureMatrix, FEATURE_NAMES, MIN_CANDLES } from '../../activities/features/indicators';
import { DEFAULT_THRESHOLD, forwardReturns, labelForReturn } from '../../activities/features/labels';
import type { Candle, MarketSnapshot } from '../../domain/types';

const H = 3_600_000;
const T0 = Date.UTC(2023, 0, 1);
const BTC_FILE = path.resolve(__dirname, '../../../shared/data/ohlcv/binance_BTC-USDT_1h.csv');

/**
 * close = 11, 12, 13, ... rising by 1 per candle, high/low = close ± 1, open = close - 0.5, constant volume.
 * On such a line every indicator has a closed form, which the tests below work out by hand.
 */
function linearCandles(n: number): Candle[] {
  return Array.from({ length: n }, (_, i) => {
    const c = i + 11;
    return [T0 + i * H, c - 0.5, c + 1, c - 1, c, 1000] as Candle;
  });
}

function readBtc(): Candle[] {
  const lines = readFileSync(BTC_FILE, 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => l.split(',').map(Number) as Candle);
}

const col = (name: string): number => FEATURE_NAMES.indexOf(name as (typeof FEATURE_NAMES)[number]);

function snapshot(symbol: string, candles: Candle[]): MarketSnapshot {
  return { symbol, timeframe: '1h', candles, source: 'test' };
}

describe('computeFeatureMatrix on a straight line (hand-computed values)', () => {
  const n = 80;
  const { names, rows } = computeFeatureMatrix(linearCandles(n));
  const last = rows[n - 1];
  const x = n + 10; // newest close

  it('returns one row per candle with the exported names', () => {
    expect(names).toEqual([...FEATURE_NAMES]);
    expect(rows).toHaveLength(n);
    rows.forEach((r) => expect(r).toHaveLength(FEATURE_NAMES.length));
  });

  it('SMA: the mean of the last 20 (50) integers ending at x is x - 9.5 (x - 24.5)', () => {
    expect(last[col('close_to_sma20')]).toBeCloseTo(x / (x - 9.5) - 1, 12);
    expect(last[col('close_to_sma50')]).toBeCloseTo(x / (x - 24.5) - 1, 12);
    expect(last[col('sma20_to_sma50')]).toBeCloseTo((x - 9.5) / (x - 24.5) - 1, 12);
  });

  it('EMA and MACD: seeded with the SMA, an EMA of a line lags by exactly (period - 1) / 2', () => {
    // EMA12 = x - 5.5 and EMA26 = x - 12.5, so MACD = 7 everywhere, its 9-EMA signal is 7 and the histogram 0.
    expect(last[col('close_to_ema12')]).toBeCloseTo(x / (x - 5.5) - 1, 10);
    expect(last[col('ema12_to_ema26')]).toBeCloseTo((x - 5.5) / (x - 12.5) - 1, 10);
    expect(last[col('macd_to_close')]).toBeCloseTo(7 / x, 10);
    expect(last[col('macd_signal_to_close')]).toBeCloseTo(7 / x, 10);
    expect(last[col('macd_hist_to_close')]).toBeCloseTo(0, 10);
  });

  it('RSI of a series that only rises is 100', () => {
    for (let i = 14; i < n; i++) expect(rows[i][col('rsi_14')]).toBe(100);
  });

  it("ATR (Wilder's) of constant true ranges is that range: here 2", () => {
    // TR = max(high - low, |high - prevClose|, |low - prevClose|) = max(2, 2, 0).
    expect(last[col('atr_to_close')]).toBeCloseTo(2 / x, 12);
    expect(last[col('momentum_10_in_atr')]).toBeCloseTo(10 / 2, 10);
  });

  it('Bollinger(20, 2): population deviation of 20 consecutive integers is sqrt(399 / 12)', () => {
    const sd = Math.sqrt(399 / 12);
    expect(last[col('bb_width')]).toBeCloseTo((4 * sd) / (x - 9.5), 10);
    expect(last[col('bb_percent_b')]).toBeCloseTo((9.5 + 2 * sd) / (4 * sd), 10);
  });

  it('momentum, candle shape and volume', () => {
    expect(last[col('ret_1')]).toBeCloseTo(1 / (x - 1), 12);
    expect(last[col('roc_5')]).toBeCloseTo(5 / (x - 5), 12);
    expect(last[col('roc_10')]).toBeCloseTo(10 / (x - 10), 12);
    expect(last[col('roc_20')]).toBeCloseTo(20 / (x - 20), 12);
    expect(last[col('range_to_close')]).toBeCloseTo(2 / x, 12);
    expect(last[col('body_to_range')]).toBeCloseTo(0.5 / 2, 12);
    expect(last[col('volume_ratio_20')]).toBe(1);
  });

  it('volatility of returns that never change is 0', () => {
    const geometric = Array.from({ length: 60 }, (_, i) => {
      const c = 100 * 1.01 ** i;
      return [T0 + i * H, c, c * 1.001, c * 0.999, c, 5] as Candle;
    });
    const row = computeFeatureMatrix(geometric).rows[59];
    expect(row[col('volatility_20')]).toBeCloseTo(0, 12);
    expect(row[col('ret_1')]).toBeCloseTo(0.01, 12);
    expect(row[col('roc_5')]).toBeCloseTo(1.01 ** 5 - 1, 10);
  });
});

describe('alignment of indicator outputs to the newest candle', () => {
  it('alignToEnd pads the front with NaN and maps missing values to NaN', () => {
    expect(alignToEnd([1, undefined, 3], 5)).toEqual([NaN, NaN, 1, NaN, 3]);
    expect(() => alignToEnd([1, 2, 3], 2)).toThrow('cannot be longer');
  });

  it('each feature starts on the first candle its indicator can cover, not before', () => {
    const { rows } = computeFeatureMatrix(linearCandles(60));
    const firstFinite = (name: string) => rows.findIndex((r) => Number.isFinite(r[col(name)]));
    expect(firstFinite('ret_1')).toBe(1);
    expect(firstFinite('roc_5')).toBe(5);
    expect(firstFinite('rsi_14')).toBe(14);
    expect(firstFinite('atr_to_close')).toBe(14);
    expect(firstFinite('close_to_sma20')).toBe(19);
    expect(firstFinite('volatility_20')).toBe(20);
    expect(firstFinite('close_to_ema12')).toBe(11);
    expect(firstFinite('macd_signal_to_close')).toBe(33);
    expect(firstFinite('close_to_sma50')).toBe(49);
  });

  it('the last row equals the last output of the library on real candles', () => {
    const candles = readBtc().slice(5000, 5200);
    const { rows } = computeFeatureMatrix(candles);
    const close = candles.map((c) => c[4]);
    const last = rows[rows.length - 1];
    const lastClose = close[close.length - 1];
    expect(last[col('rsi_14')]).toBe(RSI.calculate({ period: 14, values: close }).at(-1));
    expect(last[col('close_to_sma20')]).toBe(lastClose / SMA.calculate({ period: 20, values: close }).at(-1)! - 1);
    const atr = ATR.calculate({ period: 14, high: candles.map((c) => c[2]), low: candles.map((c) => c[3]), close });
    expect(last[col('atr_to_close')]).toBe(atr.at(-1)! / lastClose);
  });
});

describe('features of real BTC/USDT 1h candles', () => {
  const candles = readBtc().slice(10_000, 10_300);
  const { rows } = computeFeatureMatrix(candles);

  it(`are incomplete before candle ${MIN_CANDLES} and finite from then on`, () => {
    rows.slice(0, MIN_CANDLES - 1).forEach((r) => expect(r.some((v) => Number.isNaN(v))).toBe(true));
    rows.slice(MIN_CANDLES - 1).forEach((r) => r.forEach((v) => expect(Number.isFinite(v)).toBe(true)));
  });

  it('are scale-free: multiplying every price by 1000 leaves the features unchanged', () => {
    const scaled = candles.map(([t, o, h, l, c, v]) => [t, o * 1000, h * 1000, l * 1000, c * 1000, v] as Candle);
    const a = rows[rows.length - 1];
    const b = computeFeatureMatrix(scaled).rows[rows.length - 1];
    // RSI is rounded to 2 decimals by the library, so it may differ by one step.
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i], i === col('rsi_14') ? 1 : 9));
  });

  it('a serving window of 120 candles gives nearly the features training saw with full history', () => {
    const full = readBtc().slice(0, 10_300);
    const trained = computeFeatureMatrix(full).rows[full.length - 1];
    const served = computeFeatureMatrix(full.slice(-120)).rows[119];
    // Only the recursive indicators (EMA, MACD, RSI, ATR) remember where the series started.
    served.forEach((v, i) => expect(Math.abs(v - trained[i])).toBeLessThanOrEqual(Math.abs(trained[i]) * 0.01 + 0.02));
  });
});

describe('computeFeatures activity', () => {
  it('returns the newest row of each symbol with its candle time and close', async () => {
    const btc = readBtc().slice(2000, 2120);
    const [fv] = await computeFeatures({ snapshots: [snapshot('BTC/USDT', btc)] });
    expect(fv.symbol).toBe('BTC/USDT');
    expect(fv.asOf).toBe(btc[119][0]);
    expect(fv.close).toBe(btc[119][4]);
    expect(fv.names).toEqual([...FEATURE_NAMES]);
    expect(fv.values).toEqual(computeFeatureMatrix(btc).rows[119]);
  });

  it('refuses too short a history, naming the symbol, what it got and what it needs', async () => {
    const short = linearCandles(30);
    await expect(computeFeatures({ snapshots: [snapshot('SOL/USDT', short)] })).rejects.toMatchObject({
      type: 'InsufficientHistory',
      nonRetryable: true,
      message: `SOL/USDT: got 30 candles, features need at least ${MIN_CANDLES} (the slowest indicator is SMA 50)`,
    });
    expect(() => latestFeatureVector(snapshot('ETH/USDT', linearCandles(MIN_CANDLES)))).not.toThrow();
    expect(() => latestFeatureVector(snapshot('ETH/USDT', linearCandles(MIN_CANDLES - 1)))).toThrow(
      `got ${MIN_CANDLES - 1} candles`,
    );
  });

  it('refuses broken candles as InvalidCandles, naming the candle', async () => {
    const candles = linearCandles(60);
    candles[42] = [candles[42][0], 1, 2, 0.5, NaN, 3];
    await expect(computeFeatures({ snapshots: [snapshot('ADA/USDT', candles)] })).rejects.toMatchObject({
      type: 'InvalidCandles',
      nonRetryable: true,
      message: expect.stringContaining('ADA/USDT: candle 42'),
    });
  });

  it('refuses a degenerate market (no volume for 20 candles) as InvalidFeatures, naming the feature', async () => {
    const candles = linearCandles(60).map(([t, o, h, l, c]) => [t, o, h, l, c, 0] as Candle);
    await expect(computeFeatures({ snapshots: [snapshot('XRP/USDT', candles)] })).rejects.toMatchObject({
      type: 'InvalidFeatures',
      message: expect.stringContaining('volume_ratio_20'),
    });
  });
});

describe('labels', () => {
  it('use the fee-aware threshold: 2 x 0.1% fee + 0.2% = 0.4%', () => {
    expect(DEFAULT_THRESHOLD).toBeCloseTo(0.004, 15);
    expect(labelForReturn(0.0041, DEFAULT_THRESHOLD)).toBe('up');
    expect(labelForReturn(0.004, DEFAULT_THRESHOLD)).toBe('flat');
    expect(labelForReturn(-0.0041, DEFAULT_THRESHOLD)).toBe('down');
  });

  it('forward returns look horizon candles ahead and are NaN past the end or across a gap', () => {
    const ts = [0, 1, 2, 3, 5, 6].map((i) => i * H);
    const close = [100, 101, 102, 103, 104, 110];
    const fwd = forwardReturns(ts, close, 2, H);
    expect(fwd[0]).toBeCloseTo(102 / 100 - 1, 15);
    expect(fwd[1]).toBeCloseTo(103 / 101 - 1, 15);
    expect(fwd[2]).toBeNaN(); // 2 -> 5 is three hours, not two
    expect(fwd[3]).toBeNaN();
    expect(fwd[4]).toBeNaN();
    expect(fwd[5]).toBeNaN();
  });
});
