/** Each strategy on a real, named episode where it fires, and a contrasting one where it must not. */
import { ladderAveragePrice } from '../../../domain/strategies';
import { binance, indexOf, utc } from './realCandles';
import { proposalAt, proposalsBetween } from './only';

const closeAt = (base: string, at: string) => binance(base, '1h')[indexOf(binance(base, '1h'), utc(at))][4];

describe('smaCross', () => {
  it('buys BTC on the SMA 10/20 cross up of 2023-10-04 07:00 and sells a held position on the next cross down', () => {
    const buy = proposalAt('smaCross', 'BTC', '2023-10-04T07:00');
    expect(buy).toMatchObject({ side: 'buy', entry: 27_453.78, confidence: 0.5, expectedValue: -0.002 });
    expect(buy?.reason).toMatch(/SMA 10 crossed above SMA 20/);
    const held = { quantity: 1, avgPrice: 27_453.78, strategy: 'smaCross' };
    const sells = proposalsBetween('smaCross', 'BTC', '2023-10-04T08:00', '2023-10-07T00:00', held);
    expect(sells.length).toBeGreaterThan(0);
    expect(sells.every((p) => p.side === 'sell' && /crossed below/.test(p.reason))).toBe(true);
  });
});

describe('momentum', () => {
  it('buys BTC on 2023-10-04 20:00: EMA 20 over EMA 50 confirmed by RSI 64 and a positive MACD histogram', () => {
    const p = proposalAt('momentum', 'BTC', '2023-10-04T20:00');
    expect(p?.side).toBe('buy');
    expect(p?.reason).toMatch(/EMA 20 crossed above EMA 50 0 candle\(s\) ago; RSI 64\.0/);
    expect(p!.stop!).toBeLessThan(p!.entry);
    expect(p!.takeProfit! - p!.entry).toBeCloseTo(1.5 * (p!.entry - p!.stop!), 6); // 3 ATR target, 2 ATR stop
  });
});

describe('meanReversion', () => {
  it('buys BTC on 2023-08-01 02:00 under the lower Bollinger band with RSI 18.6, targeting the middle band', () => {
    const p = proposalAt('meanReversion', 'BTC', '2023-08-01T02:00');
    expect(p).toMatchObject({ side: 'buy', entry: 28_933.22 });
    expect(p?.reason).toMatch(/under the lower Bollinger band 29038\.55 with RSI 18\.6/);
    expect(p!.takeProfit!).toBeGreaterThan(29_038.55);
  });
});

describe('breakout', () => {
  it('buys BTC on 2023-10-01 22:00: the 20-candle resistance 27289.08 broken on 11.5x average volume', () => {
    const p = proposalAt('breakout', 'BTC', '2023-10-01T22:00');
    expect(p).toMatchObject({ side: 'buy', entry: 27_996.43 });
    expect(p?.reason).toMatch(/resistance 27289\.08 and the upper band .* on 11\.5x average volume/);
  });
});

describe('dcaGrid', () => {
  it('opens 5 limit buys 1% apart on BTC 2021-05-19 11:00, 5.4% under the 4h high with RSI 21, TP 10% / SL 8% of the grid average', () => {
    const p = proposalAt('dcaGrid', 'BTC', '2021-05-19T11:00')!;
    expect(p).toMatchObject({ side: 'buy', entry: 38_700 });
    expect(p.reason).toMatch(/5\.4% under the 4h high 40888\.00 with RSI 21\.1/);
    expect(p.ladder!.map((r) => r.price)).toEqual([38_700, 38_313, 37_926, 37_539, 37_152].map((x, k) => expect.closeTo(x, 6 - k)));
    p.ladder!.slice(1).forEach((r, k) => expect(p.ladder![k].price - r.price).toBeCloseTo(0.01 * 38_700, 6));
    expect(p.ladder!.every((r) => r.weight === 0.2)).toBe(true);
    const average = ladderAveragePrice(p.ladder!);
    expect(p.takeProfit!).toBeCloseTo(average * 1.1, 6);
    expect(p.stop!).toBeCloseTo(average * 0.92, 6);
  });

  it('sells a held grid 12% over its average (take-profit 10%) and 10% under (stop-loss 8%), not at +5%', () => {
    const close = closeAt('BTC', '2021-05-20T12:00');
    const position = (avg: number) => ({ quantity: 1, avgPrice: avg, strategy: 'dcaGrid' });
    expect(proposalAt('dcaGrid', 'BTC', '2021-05-20T12:00', position(close / 1.12))?.reason).toMatch(/take-profit/);
    expect(proposalAt('dcaGrid', 'BTC', '2021-05-20T12:00', position(close / 0.9))?.reason).toMatch(/stop-loss/);
    expect(proposalAt('dcaGrid', 'BTC', '2021-05-20T12:00', position(close / 1.05))).toBeNull();
  });
});

describe('swing', () => {
  it('buys the ETF-rumour breakout, BTC 2023-10-23 22:00: resistance 31826.03 broken on 5.8x volume, TP 15%, SL 5%, trail 7%', () => {
    const p = proposalAt('swing', 'BTC', '2023-10-23T22:00')!;
    expect(p).toMatchObject({ side: 'buy', entry: 33_315.92, trailingPct: 0.07 });
    expect(p.reason).toMatch(/resistance 31826\.03 on 5\.8x volume/);
    expect(p.takeProfit!).toBeCloseTo(33_315.92 * 1.15, 6);
    expect(p.stop!).toBeCloseTo(33_315.92 * 0.95, 6);
  });

  it('sells that position on its 7% trailing stop: 7.2% under the high of 37972.24, before TP or SL', () => {
    const position = { quantity: 1, avgPrice: 33_315.92, openedAt: utc('2023-10-23T22:00'), strategy: 'swing' };
    const p = proposalsBetween('swing', 'BTC', '2023-10-23T23:00', '2024-01-01T00:00', position)[0];
    expect(p.side).toBe('sell');
    expect(p.reason).toBe('trailing stop: 7.2% under the high 37972.24');
  });
});

describe('channel', () => {
  it('buys the bottom of the early-October 2023 range, BTC 26538.66..27750.03 on 2023-10-12 15:00, reward:risk >= 1.5', () => {
    const p = proposalAt('channel', 'BTC', '2023-10-12T15:00')!;
    expect(p).toMatchObject({ side: 'buy', entry: 26_675 });
    expect(p.reason).toMatch(/bottom 11\.3% of the channel 26538\.66\.\.27750\.03 \(3 support \/ 5 resistance touches\)/);
    expect((p.takeProfit! - p.entry) / (p.entry - p.stop!)).toBeGreaterThanOrEqual(1.5);
  });

  it('sells a held channel position in the top 30% of the range', () => {
    const sells = proposalsBetween('channel', 'BTC', '2023-10-12T16:00', '2023-10-20T00:00', { quantity: 1, avgPrice: 26_675, strategy: 'channel' });
    expect(sells[0]?.reason).toMatch(/in the top of the channel/);
  });

  it('every buy over three years of BTC has reward:risk >= 1.5 and enters in the bottom 30%', () => {
    const buys = proposalsBetween('channel', 'BTC', '2021-04-01T00:00', '2024-01-01T00:00');
    expect(buys.length).toBeGreaterThan(100);
    for (const p of buys) {
      expect((p.takeProfit! - p.entry) / (p.entry - p.stop!)).toBeGreaterThanOrEqual(1.5);
      expect(Number(/bottom (\d+\.\d)%/.exec(p.reason)![1])).toBeLessThanOrEqual(30);
    }
  });
});

/** The contrasting episodes: a window of BTC 1h candles in which each strategy must propose nothing. */
describe('no entry where the strategy has no setup', () => {
  it.each([
    ['smaCross', 'during the May 19 2021 crash: the averages never cross up', '2021-05-19T00:00', '2021-05-20T00:00'],
    ['momentum', 'during the May 19 2021 crash', '2021-05-19T00:00', '2021-05-20T00:00'],
    ['meanReversion', 'in the rally of 2023-12-01..06 (never oversold)', '2023-12-01T00:00', '2023-12-06T00:00'],
    ['breakout', 'during the May 19 2021 crash (no level broken upward)', '2021-05-19T00:00', '2021-05-20T00:00'],
    ['dcaGrid', 'in the quiet first half of August 2023 (no grid opened)', '2023-08-01T00:00', '2023-08-16T00:00'],
    ['swing', 'during the May 19 2021 crash', '2021-05-19T00:00', '2021-05-20T00:00'],
    ['channel', 'in the ETF rally of 2023-10-20..27 (no range to trade)', '2023-10-20T00:00', '2023-10-27T00:00'],
  ] as const)('%s does not buy %s', (name, _episode, from, to) => {
    expect(proposalsBetween(name, 'BTC', from, to)).toEqual([]);
  });
});
