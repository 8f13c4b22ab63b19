/**
 * Issue 11, defect 3: Binance's outage of 2023-03-24 (the 12:00 candle has zero volume, 13:00 is missing). Nothing
 * fills against a candle in which nothing traded, and feature windows count hours, not rows, the same way in
 * training, serving and the backtester.
 */
import fs from 'node:fs';
import { latestFeatureVector } from '../../activities/features';
import { computeFeatureMatrix, FEATURE_NAMES, MIN_CANDLES } from '../../domain/features/definition';
import { MAX_FILLED_CANDLES } from '../../domain/features/timeAlignment';
import { paperCosts } from '../../domain/paperBroker';
import { advanceRestingOrder, placePaperOrderAt } from '../../domain/paperOrderRules';
import { precomputeModelSignals } from '../../backtest/signals';
import { parseCandleCsv } from '../../domain/candles';
import { newBook } from '../../domain/ledger';
import type { Candle, OrderRequest } from '../../domain/types';
import { bullishModel, cycleHarness, HOUR, OHLCV } from '../helpers/cycleHarness';

const file = (symbol: string) => `${OHLCV}/binance_${symbol}-USDT_1h.csv`;
const load = (symbol: string): Candle[] => parseCandleCsv(fs.readFileSync(file(symbol), 'utf8'), file(symbol));
const BTC = load('BTC');
const ETH = load('ETH');
const at = (iso: string) => Date.parse(iso);
const indexOf = (candles: Candle[], iso: string) => candles.findIndex((c) => c[0] === at(iso));
const OUTAGE = '2023-03-24T12:00:00Z';
const AFTER = '2023-03-24T14:00:00Z';

describe('the paper broker does not fill against a candle in which nothing traded', () => {
  const terms = { feeRate: 0.001, slippageBps: 5 };
  const costs = paperCosts(terms);
  const request: OrderRequest = {
    clientOrderId: 'outage-buy', portfolioId: 'p', cycleId: 'c', symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.01, referencePrice: 27_800,
  };

  it('the data is what the issue describes: 12:00 traded nothing and 13:00 is missing', () => {
    const i = indexOf(BTC, OUTAGE);
    expect(BTC[i][5]).toBe(0);
    expect(BTC[i + 1][0]).toBe(at(AFTER));
  });

  it('a market order whose next candle is the outage rests, then fills at the open of the first candle with volume', () => {
    const i = indexOf(BTC, OUTAGE);
    const outage = BTC[i];
    const placed = placePaperOrderAt(request, { price: outage[1], timestamp: outage[0], volume: outage[5] }, terms, { cash: 10_000, position: 0 }, costs, () => at('2023-03-24T11:00:00Z'));
    expect(placed).toMatchObject({ status: 'open', filledQuantity: 0 });
    const still = advanceRestingOrder(request, placed, [outage], costs, outage[0], HOUR);
    expect(still.fills).toEqual([]);
    const filled = advanceRestingOrder(request, still, [outage, BTC[i + 1]], costs, BTC[i + 1][0], HOUR);
    expect(filled.status).toBe('filled');
    expect(filled.fills).toEqual([expect.objectContaining({ timestamp: at(AFTER) })]);
    expect(filled.avgPrice).toBeGreaterThan(BTC[i + 1][1]); // the 14:00 open, plus the taker's slippage
    expect(filled.avgPrice).toBeLessThan(BTC[i + 1][1] * 1.001);
  });

  it('in the backtester, the cycle deciding on the 11:00 candle buys at 14:00, not at the outage candle', async () => {
    const h = await cycleHarness({ symbols: ['BTC/USDT'], from: '2023-03-24T11:00:00Z', signals: bullishModel(), book: newBook(10_000, at('2023-03-24T00:00:00Z')) });
    const first = await h.cycle();
    expect(first.orders.map((o) => [o.side, o.status])).toEqual([['buy', 'open']]);
    expect(h.book.positions['BTC/USDT']).toBeUndefined();
    await h.cycle(); // on the outage candle: still nothing traded, and no second buy while the first waits
    expect(h.book.positions['BTC/USDT']).toBeUndefined();
    const third = await h.cycle();
    const fill = third.trades!.find((t) => t.side === 'buy')!;
    expect(fill.time).toBe(at(AFTER));
    expect(fill.price).toBeGreaterThan(BTC[indexOf(BTC, AFTER)][1]);
  });
});

describe('feature windows count hours, in training, serving and the backtester alike', () => {
  const i = indexOf(ETH, AFTER);
  const window = ETH.slice(i - 399, i + 1);
  const reference = BTC.filter((c) => c[0] >= window[0][0] && c[0] <= window[window.length - 1][0]);
  const col = (name: string) => FEATURE_NAMES.indexOf(name as (typeof FEATURE_NAMES)[number]);

  it("14:00's 24-hour return spans 24 hours, not 25, and every feature equals the one computed with the missing hour as a no-trade candle", () => {
    const row = computeFeatureMatrix(window, reference).rows[window.length - 1];
    const dayBefore = ETH[indexOf(ETH, '2023-03-23T14:00:00Z')];
    expect(row[col('ret_24')]).toBeCloseTo(ETH[i][4] / dayBefore[4] - 1, 14);
    const filled = (candles: Candle[]) => {
      const k = candles.findIndex((c) => c[0] === at(AFTER));
      const close = candles[k - 1][4];
      return [...candles.slice(0, k), [at('2023-03-24T13:00:00Z'), close, close, close, close, 0] as Candle, ...candles.slice(k)];
    };
    const aligned = filled(window);
    expect(row).toEqual(computeFeatureMatrix(aligned, filled(reference)).rows[aligned.length - 1]);
  });

  it('a window across a longer outage is unavailable, with the reason, in all three', async () => {
    // Ten more hours missing before 14:00: more than MAX_FILLED_CANDLES no-trade candles would be invented.
    const cut = (candles: Candle[]) => candles.filter((c) => c[0] < at('2023-03-24T02:00:00Z') || c[0] >= at('2023-03-24T12:00:00Z'));
    const short = cut(window);
    const why = new RegExp(`crosses ${10 + 1} missing candles .*at most ${MAX_FILLED_CANDLES}`);
    const training = computeFeatureMatrix(short, cut(reference));
    expect(training.unavailable.get(short.length - 1)).toMatch(why);
    expect(training.rows[short.length - 1].every(Number.isNaN)).toBe(true);
    // Serving: the features activity refuses the row, naming the gap (the cycle records it and its exits go on).
    expect(() => latestFeatureVector({ symbol: 'ETH/USDT', timeframe: '1h', candles: short, source: 'test' }, { symbol: 'BTC/USDT', timeframe: '1h', candles: cut(reference), source: 'test' }))
      .toThrow(why);
    // The backtester's precomputed rows: the same reason for the same candle.
    const series = { 'ETH/USDT': short, 'BTC/USDT': cut(reference) };
    const signals = await precomputeModelSignals({
      dataDir: OHLCV, symbols: ['ETH/USDT', 'BTC/USDT'], timeframe: '1h', timeframeMs: HOUR, from: at(AFTER), to: at(AFTER) + HOUR, series, timeline: [at(AFTER)],
    });
    expect(String(signals.features('ETH/USDT', at(AFTER)))).toMatch(why);
    expect(short.length).toBeGreaterThan(MIN_CANDLES);
  });
});
