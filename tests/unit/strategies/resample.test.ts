import { atLastClosed, candlesToBars, resampleBars } from '../../../domain/strategies';
import type { Candle } from '../../../domain/types';
import { binance, utc } from './realCandles';

/** Bars resampled from `base` that are fully covered by base candles, compared with the exchange's own bars. */
function compareWithExchange(base: Candle[], baseTf: string, target: Candle[], tf: string) {
  const view = resampleBars(candlesToBars(base, baseTf), tf);
  const perBar = view.bars.ms / candlesToBars(base.slice(0, 1), baseTf).ms;
  const counts = new Map<number, number>();
  for (const c of base) {
    const bucket = Math.floor(c[0] / view.bars.ms) * view.bars.ms;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  const real = new Map(target.map((c) => [c[0], c]));
  let compared = 0;
  for (let b = 0; b < view.bars.time.length; b++) {
    const t = view.bars.time[b];
    const exchange = real.get(t);
    if (counts.get(t) !== perBar || !exchange) continue;
    compared++;
    expect([t, view.bars.open[b], view.bars.high[b], view.bars.low[b], view.bars.close[b]]).toEqual(exchange.slice(0, 5));
    expect(view.bars.volume[b] / exchange[5]).toBeCloseTo(1, 6);
  }
  return compared;
}

describe('resampling base candles into higher timeframes', () => {
  it('4h bars resampled from Binance BTC 5m candles (Aug-Sep 2025) equal the exchange 4h bars', () => {
    const compared = compareWithExchange(binance('BTC', '5m'), '5m', binance('BTC', '4h'), '4h');
    expect(compared).toBeGreaterThan(150);
  });

  it('4h and 1d bars resampled from Binance ETH 1h candles (2021-2023) equal the exchange bars', () => {
    expect(compareWithExchange(binance('ETH', '1h'), '1h', binance('ETH', '4h'), '4h')).toBeGreaterThan(5_000);
    expect(compareWithExchange(binance('ETH', '1h'), '1h', binance('ETH', '1d'), '1d')).toBeGreaterThan(900);
  });

  it('maps each base candle to the newest CLOSED higher bar: the 4h bar 00:00-04:00 is visible from the 03:00 candle on', () => {
    const candles = binance('BTC', '1h');
    const view = resampleBars(candlesToBars(candles, '1h'), '4h');
    const i = candles.findIndex((c) => c[0] === utc('2022-06-13T03:00'));
    expect(view.bars.time[view.lastClosed[i]]).toBe(utc('2022-06-13T00:00'));
    expect(view.bars.time[view.lastClosed[i - 1]]).toBe(utc('2022-06-12T20:00'));
    const wrong = candles.filter((c, k) => {
      const b = view.lastClosed[k];
      const closedBy = c[0] + 3_600_000;
      return (b >= 0 && view.bars.time[b] + view.bars.ms > closedBy)
        || (b + 1 < view.bars.time.length && view.bars.time[b + 1] + view.bars.ms <= closedBy);
    });
    expect(wrong).toEqual([]);
  });

  it('has no lookahead: rewriting every later candle changes nothing seen at or before a base candle', () => {
    const candles = binance('SOL', '5m');
    const cut = 4_000;
    const altered = candles.map((c, k) => (k > cut ? ([c[0], c[1] * 2, c[2] * 3, c[3] / 3, c[4] * 2, c[5] * 5] as Candle) : c));
    const seen = (cs: Candle[]) => {
      const view = resampleBars(candlesToBars(cs, '5m'), '1h');
      return [atLastClosed(view, view.bars.close), atLastClosed(view, view.bars.high), atLastClosed(view, view.bars.volume)]
        .map((col) => Array.from(col.subarray(0, cut + 1)));
    };
    expect(seen(altered)).toEqual(seen(candles));
    // The alteration is visible once the next hour closes, so the comparison above could fail.
    const later = (cs: Candle[]) => {
      const view = resampleBars(candlesToBars(cs, '5m'), '1h');
      return atLastClosed(view, view.bars.close)[cut + 24];
    };
    expect(later(altered)).not.toBe(later(candles));
  });

  it('marks a bar begun before the first base candle as incomplete (NaN), and refuses a non-multiple timeframe', () => {
    const candles = binance('BTC', '1h').slice(2, 50); // starts at 02:00, inside a 4h bar
    const view = resampleBars(candlesToBars(candles, '1h'), '4h');
    expect(view.bars.close[0]).toBeNaN();
    expect(view.bars.close[1]).toBe(candles[5][4]);
    expect(() => resampleBars(candlesToBars(candles, '1h'), '90m')).toThrow(/whole multiple/);
  });
});
