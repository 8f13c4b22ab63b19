import { readFileSync } from 'node:fs';
import path from 'node:path';
import { computeFeatures, latestFeatureVector } from '../../activities/features';
import {
  computeFeatureMatrix, FEATURE_NAMES, firstNonFinite, MIN_CANDLES, REFERENCE_SYMBOL,
} from '../../domain/features/definition';
import { DEFAULT_THRESHOLD, forwardReturns, labelForReturn } from '../../domain/features/labels';
import type { Candle, MarketSnapshot } from '../../domain/types';

const H = 3_600_000;
const T0 = Date.UTC(2023, 0, 2); // a Monday, 00:00 UTC
const OHLCV = path.resolve(__dirname, '../../../shared/data/ohlcv');

/**
 * close = 11, 12, 13, ... rising by 1 per candle, high/low = close ± 1, open = close - 0.5, constant volume.
 * On such a line every indicator has a closed form, which the tests below work out by hand.
 */
function linearCandles(n: number, start = T0): Candle[] {
  return Array.from({ length: n }, (_, i) => {
    const c = i + 11;
    return [start + i * H, c - 0.5, c + 1, c - 1, c, 1000] as Candle;
  });
}

const readCandles = (base: string): Candle[] =>
  readFileSync(path.join(OHLCV, `binance_${base}-USDT_1h.csv`), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number) as Candle);
const BTC = readCandles('BTC');
const ETH = readCandles('ETH');

const col = (name: string): number => {
  const i = FEATURE_NAMES.indexOf(name as (typeof FEATURE_NAMES)[number]);
  if (i < 0) throw new Error(`no feature ${name}`);
  return i;
};

function snapshot(symbol: string, candles: Candle[], timeframe = '1h'): MarketSnapshot {
  return { symbol, timeframe, candles, source: 'test' };
}

/** The reference candles covering the same hours as `candles`. */
const referenceFor = (candles: Candle[]): Candle[] => BTC.filter((c) => c[0] >= candles[0][0] && c[0] <= candles[candles.length - 1][0]);

describe('the feature set', () => {
  it('has at least 50 uniquely named features covering every group', () => {
    expect(FEATURE_NAMES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_NAMES.length);
    for (const name of ['close_to_sma_200', 'rsi_14', 'atr_14_to_close', 'volume_ratio_20', 'h4_rsi_14', 'd1_ret_7', 'hour_sin', 'weekday_cos', 'btc_corr_72']) {
      expect(FEATURE_NAMES).toContain(name);
    }
  });
});

describe('base-timeframe features on a straight line (hand-computed values)', () => {
  const n = 400;
  const { names, rows } = computeFeatureMatrix(linearCandles(n), 'self');
  const last = rows[n - 1];
  const x = n + 10; // newest close

  it('returns one row per candle with the exported names', () => {
    expect(names).toEqual([...FEATURE_NAMES]);
    expect(rows).toHaveLength(n);
    rows.forEach((r) => expect(r).toHaveLength(FEATURE_NAMES.length));
  });

  it('SMA: the mean of the last k integers ending at x is x - (k - 1) / 2', () => {
    expect(last[col('close_to_sma_20')]).toBeCloseTo(x / (x - 9.5) - 1, 12);
    expect(last[col('close_to_sma_50')]).toBeCloseTo(x / (x - 24.5) - 1, 12);
    expect(last[col('close_to_sma_200')]).toBeCloseTo(x / (x - 99.5) - 1, 12);
    expect(last[col('sma_20_to_sma_50')]).toBeCloseTo((x - 9.5) / (x - 24.5) - 1, 12);
  });

  it('windowed EMA: on a line it lags by the mean age of its weights q^k over 4 x period values', () => {
    // Closed forms of sum q^k and sum k q^k for k < S, independent of the code's loop.
    const lag = (period: number) => {
      const q = 1 - 2 / (period + 1);
      const S = 4 * period;
      const sum = (1 - q ** S) / (1 - q);
      const weighted = (q * (1 - S * q ** (S - 1) + (S - 1) * q ** S)) / (1 - q) ** 2;
      return weighted / sum;
    };
    const ema12 = x - lag(12);
    const ema26 = x - lag(26);
    expect(last[col('close_to_ema_12')]).toBeCloseTo(x / ema12 - 1, 10);
    expect(last[col('ema_12_to_ema_26')]).toBeCloseTo(ema12 / ema26 - 1, 10);
    // MACD is constant on a line, so its signal equals it and the histogram is 0.
    expect(last[col('macd_to_close')]).toBeCloseTo((lag(26) - lag(12)) / x, 10);
    expect(last[col('macd_signal_to_close')]).toBeCloseTo((lag(26) - lag(12)) / x, 10);
    expect(last[col('macd_hist_to_close')]).toBeCloseTo(0, 10);
  });

  it('oscillators of a series that only rises: RSI 100, stochastic near the top, no downward movement', () => {
    expect(last[col('rsi_14')]).toBe(100);
    // Highest high of 14 candles is x + 1, lowest low x - 14: the close sits at 14/15 of the range.
    expect(last[col('stoch_k_14')]).toBeCloseTo(14 / 15, 12);
    expect(last[col('di_diff_14')]).toBeCloseTo(0.5, 12); // +DM 1 per candle over TR 2, -DM 0
    expect(last[col('adx_14')]).toBeCloseTo(100, 10);
    expect(last[col('mfi_14')]).toBe(100);
  });

  it('ATR of constant true ranges is that range (2); momentum over 10 candles is 5 ATRs', () => {
    expect(last[col('atr_14_to_close')]).toBeCloseTo(2 / x, 12);
    expect(last[col('momentum_10_in_atr')]).toBeCloseTo(10 / 2, 10);
  });

  it('Bollinger(20, 2): population deviation of 20 consecutive integers is sqrt(399 / 12)', () => {
    const sd = Math.sqrt(399 / 12);
    expect(last[col('bb_width_20')]).toBeCloseTo((4 * sd) / (x - 9.5), 10);
    expect(last[col('bb_percent_b_20')]).toBeCloseTo((9.5 + 2 * sd) / (4 * sd), 10);
  });

  it('returns, trend fit, candle shape and volume', () => {
    expect(last[col('ret_1')]).toBeCloseTo(1 / (x - 1), 12);
    expect(last[col('ret_24')]).toBeCloseTo(24 / (x - 24), 12);
    expect(last[col('ret_72')]).toBeCloseTo(72 / (x - 72), 12);
    expect(last[col('trend_r2_24')]).toBeGreaterThan(0.9999); // log of a line is almost a line over 24 steps
    expect(last[col('range_to_close')]).toBeCloseTo(2 / x, 12);
    expect(last[col('body_to_range')]).toBeCloseTo(0.25, 12);
    expect(last[col('upper_wick_to_range')]).toBeCloseTo(0.5, 12);
    expect(last[col('lower_wick_to_range')]).toBeCloseTo(0.25, 12);
    expect(last[col('volume_ratio_20')]).toBe(1);
    expect(last[col('volume_ratio_6_72')]).toBe(1);
    expect(last[col('signed_volume_24')]).toBe(1); // every candle closed above its open
    // Highest high of 72 candles is x + 1, lowest low x - 72.
    expect(last[col('position_in_range_72')]).toBeCloseTo(72 / 73, 12);
  });

  it('volatility of returns that never change is 0, their skew 0', () => {
    // Doubling every candle: powers of two are exact, so every return is exactly 1.
    const doubling = Array.from({ length: 400 }, (_, i) => {
      const c = 2 ** i;
      return [T0 + i * H, c, c * 1.5, c * 0.75, c, 5] as Candle;
    });
    const row = computeFeatureMatrix(doubling, 'self').rows[399];
    expect(row[col('ret_1')]).toBe(1);
    expect(row[col('volatility_24')]).toBe(0);
    expect(row[col('return_skew_72')]).toBe(0);
    expect(row[col('volatility_ratio_24_72')]).toBe(1);
  });
});

describe('multi-timeframe features: 4h and daily bars resampled from the base candles', () => {
  // Start at 00:00 so bars are whole; close = 11 + hours since start.
  const candles = linearCandles(24 * 20);
  const { rows } = computeFeatureMatrix(candles, 'self');
  const at = (day: number, hour: number) => rows[day * 24 + hour];
  const close = (day: number, hour: number) => 11 + day * 24 + hour;

  it('uses only bars closed by the end of the candle: at 23:00 the day is closed, at 22:00 it is not', () => {
    // Day d's daily close is the close of its 23:00 candle.
    expect(at(15, 23)[col('d1_ret_1')]).toBeCloseTo(close(15, 23) / close(14, 23) - 1, 12);
    expect(at(15, 22)[col('d1_ret_1')]).toBeCloseTo(close(14, 23) / close(13, 23) - 1, 12);
    expect(at(15, 22)[col('d1_ret_7')]).toBeCloseTo(close(14, 23) / close(7, 23) - 1, 12);
    // 4h bars close at 03:00, 07:00, ... candles; at 09:00 the newest closed bar is 04:00-07:59.
    expect(at(15, 9)[col('h4_ret_1')]).toBeCloseTo(close(15, 7) / close(15, 3) - 1, 12);
    expect(at(15, 11)[col('h4_ret_1')]).toBeCloseTo(close(15, 11) / close(15, 7) - 1, 12);
  });

  it('daily range, position in the 14-day range, the day so far', () => {
    const c = close(15, 10);
    // Closed days 1..14: lowest low close(1, 0) - 1, highest high close(14, 23) + 1.
    const lo = close(1, 0) - 1;
    const hi = close(14, 23) + 1;
    expect(at(15, 10)[col('d1_position_in_range_14')]).toBeCloseTo((c - lo) / (hi - lo), 12);
    expect(at(15, 10)[col('d1_range_to_close')]).toBeCloseTo((close(14, 23) + 1 - (close(14, 0) - 1)) / close(14, 23), 12);
    expect(at(15, 10)[col('day_ret_so_far')]).toBeCloseTo(c / (close(15, 0) - 0.5) - 1, 12);
  });

  it('a bar that started before the first candle is partial, so features needing it stay NaN', () => {
    // Start at 05:00: the first day bar lacks its first five hours.
    const late = computeFeatureMatrix(linearCandles(24 * 20, T0 + 5 * H), 'self').rows;
    const firstDayRowClosed = 18; // 23:00 of the first day
    expect(late[firstDayRowClosed][col('d1_range_to_close')]).toBeNaN();
    expect(late[firstDayRowClosed + 24][col('d1_range_to_close')]).not.toBeNaN();
    expect(late[10][col('day_ret_so_far')]).toBeNaN();
  });

  it(`MIN_CANDLES (${MIN_CANDLES}) is enough at every hour of the day, and one fewer is not at some hour`, () => {
    let tight = false;
    for (let hour = 0; hour < 24; hour++) {
      const series = linearCandles(MIN_CANDLES, T0 + hour * H);
      expect({ hour, bad: firstNonFinite(computeFeatureMatrix(series, 'self').rows[MIN_CANDLES - 1]) }).toEqual({ hour, bad: -1 });
      const shorter = series.slice(1);
      if (firstNonFinite(computeFeatureMatrix(shorter, 'self').rows[MIN_CANDLES - 2]) >= 0) tight = true;
    }
    expect(tight).toBe(true);
  });
});

describe('training and serving compute the same numbers', () => {
  const full = computeFeatureMatrix(ETH, referenceFor(ETH)).rows;

  it('features over the whole history equal features over the last MIN_CANDLES candles, exactly', () => {
    let compared = 0;
    for (let i = MIN_CANDLES + 100; i < ETH.length; i += 1013) {
      const window = ETH.slice(i - MIN_CANDLES + 1, i + 1);
      const served = computeFeatureMatrix(window, referenceFor(window)).rows[MIN_CANDLES - 1];
      if (firstNonFinite(served) >= 0) continue; // a data gap inside the window: serving refuses such a row
      served.forEach((v, k) => expect({ i, feature: FEATURE_NAMES[k], v }).toEqual({ i, feature: FEATURE_NAMES[k], v: full[i][k] }));
      compared++;
    }
    expect(compared).toBeGreaterThan(15);
  });

  it('are scale-free: multiplying every price by 1000 changes nothing beyond rounding', () => {
    const window = ETH.slice(10_000, 10_400);
    const scaled = window.map(([t, o, h, l, c, v]) => [t, o * 1000, h * 1000, l * 1000, c * 1000, v] as Candle);
    const a = computeFeatureMatrix(window, referenceFor(window)).rows[399];
    const b = computeFeatureMatrix(scaled, referenceFor(window)).rows[399];
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i], 6));
  });
});

describe('cross-asset and calendar features', () => {
  const i = 12_000;
  const btcRows = computeFeatureMatrix(BTC, 'self').rows;
  const ethRows = computeFeatureMatrix(ETH, BTC).rows;
  const btcIndex = BTC.findIndex((c) => c[0] === ETH[i][0]);

  it('for the reference itself: BTC return = own return, correlation and beta 1, relative strength 0', () => {
    const row = btcRows[btcIndex];
    expect(row[col('btc_ret_1')]).toBe(row[col('ret_1')]);
    expect(row[col('btc_ret_24')]).toBe(row[col('ret_24')]);
    expect(row[col('btc_volatility_24')]).toBe(row[col('volatility_24')]);
    expect([row[col('btc_corr_72')], row[col('btc_beta_72')], row[col('rel_strength_24')]]).toEqual([1, 1, 0]);
  });

  it('for another coin: BTC figures joined by open time, a realistic correlation', () => {
    const row = ethRows[i];
    expect(row[col('btc_ret_1')]).toBe(btcRows[btcIndex][col('ret_1')]);
    expect(row[col('btc_ret_4')]).toBeCloseTo(BTC[btcIndex][4] / BTC[btcIndex - 4][4] - 1, 15);
    expect(row[col('rel_strength_24')]).toBeCloseTo(row[col('ret_24')] - btcRows[btcIndex][col('ret_24')], 15);
    expect(row[col('btc_corr_72')]).toBeGreaterThan(0.3);
    expect(row[col('btc_corr_72')]).toBeLessThan(1);
  });

  it('a coin that moves exactly like BTC has correlation and beta 1', () => {
    const window = BTC.slice(5000, 5400);
    const copy = window.map(([t, o, h, l, c, v]) => [t, o / 100, h / 100, l / 100, c / 100, v] as Candle);
    const row = computeFeatureMatrix(copy, window).rows[399];
    expect(row[col('btc_corr_72')]).toBeCloseTo(1, 12);
    expect(row[col('btc_beta_72')]).toBeCloseTo(1, 12);
  });

  it('an hour missing from the reference makes the cross-asset features NaN, never a guess', () => {
    const window = ETH.slice(8000, 8400);
    const reference = referenceFor(window).filter((c) => c[0] !== window[390][0]);
    const rows = computeFeatureMatrix(window, reference).rows;
    expect(rows[390][col('btc_ret_1')]).toBeNaN();
    expect(rows[399][col('btc_corr_72')]).toBeNaN();
    expect(rows[399][col('btc_ret_1')]).not.toBeNaN();
  });

  it('calendar: hour and weekday on the unit circle, weekends flagged', () => {
    const saturday10 = Date.UTC(2024, 0, 6, 10);
    const rows = computeFeatureMatrix(linearCandles(3, saturday10), 'self').rows;
    expect(rows[0][col('hour_sin')]).toBeCloseTo(Math.sin((2 * Math.PI * 10) / 24), 15);
    expect(rows[0][col('hour_cos')]).toBeCloseTo(Math.cos((2 * Math.PI * 10) / 24), 15);
    expect(rows[0][col('weekday_sin')]).toBeCloseTo(Math.sin((2 * Math.PI * 6) / 7), 15);
    expect(rows[0][col('is_weekend')]).toBe(1);
    const monday = computeFeatureMatrix(linearCandles(1, T0), 'self').rows[0];
    expect(monday[col('is_weekend')]).toBe(0);
    expect(monday[col('weekday_cos')]).toBeCloseTo(Math.cos((2 * Math.PI) / 7), 15);
  });
});

describe('computeFeatures activity', () => {
  const end = 15_000;
  const eth = ETH.slice(end - 400, end);
  const btc = referenceFor(eth);

  it('returns the newest row of each symbol, taking BTC/USDT from the snapshots as reference', async () => {
    const [fe, fb] = await computeFeatures({ snapshots: [snapshot('ETH/USDT', eth), snapshot(REFERENCE_SYMBOL, btc)] });
    expect(fe.symbol).toBe('ETH/USDT');
    expect(fe.asOf).toBe(eth[399][0]);
    expect(fe.close).toBe(eth[399][4]);
    expect(fe.names).toEqual([...FEATURE_NAMES]);
    expect(fe.values).toEqual(computeFeatureMatrix(eth, btc).rows[399]);
    expect(fb.values).toEqual(computeFeatureMatrix(btc, 'self').rows[btc.length - 1]);
  });

  it('uses an explicit reference when the portfolio does not trade BTC/USDT', async () => {
    const [fv] = await computeFeatures({ snapshots: [snapshot('ETH/USDT', eth)], reference: snapshot(REFERENCE_SYMBOL, btc) });
    expect(fv.values).toEqual(computeFeatureMatrix(eth, btc).rows[399]);
  });

  it('refuses a coin without reference, or a reference that is not BTC/USDT', async () => {
    await expect(computeFeatures({ snapshots: [snapshot('ETH/USDT', eth)] })).rejects.toMatchObject({
      type: 'MissingReference', nonRetryable: true, message: expect.stringContaining('ETH/USDT: cross-asset features need BTC/USDT'),
    });
    await expect(computeFeatures({ snapshots: [snapshot('ETH/USDT', eth)], reference: snapshot('SOL/USDT', btc) })).rejects.toMatchObject({
      type: 'InvalidInput', message: 'reference must be BTC/USDT, got SOL/USDT',
    });
  });

  it('refuses candles of another timeframe than the model was trained on', async () => {
    await expect(computeFeatures({ snapshots: [snapshot(REFERENCE_SYMBOL, btc, '4h')] })).rejects.toMatchObject({
      type: 'UnsupportedTimeframe', message: 'BTC/USDT: the features and the model are defined on 1h candles, got 4h',
    });
  });

  it('refuses too short a history, naming the symbol, what it got and what it needs', async () => {
    await expect(computeFeatures({ snapshots: [snapshot('SOL/USDT', linearCandles(30))], reference: snapshot(REFERENCE_SYMBOL, btc) })).rejects.toMatchObject({
      type: 'InsufficientHistory',
      nonRetryable: true,
      message: `SOL/USDT: got 30 candles, features need at least ${MIN_CANDLES} (14 closed daily bars plus the current day)`,
    });
    expect(() => latestFeatureVector(snapshot(REFERENCE_SYMBOL, btc.slice(-MIN_CANDLES)))).not.toThrow();
  });

  it('refuses broken candles as InvalidCandles, naming the candle', async () => {
    const candles = linearCandles(400);
    candles[42] = [candles[42][0], 1, 2, 0.5, NaN, 3];
    await expect(computeFeatures({ snapshots: [snapshot(REFERENCE_SYMBOL, candles)] })).rejects.toMatchObject({
      type: 'InvalidCandles',
      nonRetryable: true,
      message: expect.stringContaining('BTC/USDT: candle 42'),
    });
  });

  it('refuses a newest row whose window is not covered, naming the feature', async () => {
    const noVolume = linearCandles(400).map(([t, o, h, l, c]) => [t, o, h, l, c, 0] as Candle);
    await expect(computeFeatures({ snapshots: [snapshot(REFERENCE_SYMBOL, noVolume)] })).rejects.toMatchObject({
      type: 'InvalidFeatures',
      message: expect.stringContaining('volume_ratio_20'),
    });
    // A reference that stops an hour early leaves the coin's newest hour without a BTC return.
    await expect(computeFeatures({ snapshots: [snapshot('ETH/USDT', eth)], reference: snapshot(REFERENCE_SYMBOL, btc.slice(0, -1)) })).rejects.toMatchObject({
      type: 'InvalidFeatures',
      message: expect.stringContaining('ETH/USDT: feature btc_ret_1'),
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

