/**
 * DCA grid: after a drop of at least dropFromHigh from the highest high of the last highLookback (4 hours by
 * default, this candle included) with RSI under rsiBelow, a grid of `rungs` limit buys rungSpacing apart, the
 * first at the close, equal notional each. Take-profit and stop-loss are set from the grid's average fill price
 * (10% above, 8% below by default); a held grid position is sold when the close reaches either.
 * Strength: mean of the drop beyond its threshold (twice the threshold = full) and how far RSI is under its line
 * (15 points = full). Confidence and EV use the full grid's average price, i.e. assume every rung fills.
 */
import { timeframeToMs } from '../candles';
import { rsi } from '../indicators/rsiAndTrueRange';
import { rollingMax } from '../indicators/series';
import type { StrategyConfig } from './config';
import { ladderAveragePrice } from './manager';
import { clamp01, entryOdds, exitValue, pct, price } from './proposalMath';
import type { Strategy } from './strategy';

type Params = StrategyConfig['dcaGrid'];

const lookbackCandles = (p: Params, baseMs: number) => Math.max(1, Math.round(timeframeToMs(p.highLookback) / baseMs));

export const dcaGrid: Strategy<Params> = {
  name: 'dcaGrid',
  warmup: (p, baseMs) => Math.max(lookbackCandles(p, baseMs), p.rsiPeriod + 1),
  prepare: (m, p) => ({
    recentHigh: rollingMax(m.base.high, lookbackCandles(p, m.base.ms)),
    rsi: rsi(m.base.close, p.rsiPeriod),
  }),
  entry(i, c, p, m, costs) {
    const close = m.base.close[i];
    const drop = 1 - close / c.recentHigh[i];
    if (!(drop >= p.dropFromHigh) || !(c.rsi[i] < p.rsiBelow)) return null;
    const ladder = Array.from({ length: p.rungs }, (_, k) => ({ price: close * (1 - k * p.rungSpacing), weight: 1 / p.rungs }));
    const average = ladderAveragePrice(ladder);
    const takeProfit = average * (1 + p.takeProfit);
    const stop = average * (1 - p.stopLoss);
    const strength = (clamp01((drop - p.dropFromHigh) / p.dropFromHigh) + clamp01((p.rsiBelow - c.rsi[i]) / 15)) / 2;
    const odds = entryOdds(average, stop, takeProfit, strength, costs);
    return {
      side: 'buy', confidence: odds.confidence, entry: close, stop, takeProfit, expectedValue: odds.expectedValue, ladder,
      reason: `close ${price(close)} is ${pct(drop)} under the ${p.highLookback} high ${price(c.recentHigh[i])} with RSI `
        + `${c.rsi[i].toFixed(1)} < ${p.rsiBelow}: ${p.rungs} limit buys ${pct(p.rungSpacing)} apart`,
    };
  },
  exit(i, _c, p, m, position, costs) {
    const close = m.base.close[i];
    const change = close / position.avgPrice - 1;
    if (change < p.takeProfit && change > -p.stopLoss) return null;
    return {
      side: 'sell', confidence: 1, entry: close, expectedValue: exitValue(close, position.avgPrice, costs.costRate),
      reason: change >= p.takeProfit
        ? `take-profit: ${pct(change)} over the grid's average ${price(position.avgPrice)}`
        : `stop-loss: ${pct(change)} under the grid's average ${price(position.avgPrice)}`,
    };
  },
};
