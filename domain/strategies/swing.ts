/**
 * Swing: the close breaks the resistance (highest high of the previous resistancePeriod candles) on at least
 * volumeMultiple x the average volume of the previous volumePeriod candles. Take-profit 15%, stop-loss 5% and a
 * 7% trailing stop by default. A held swing position is sold when the close reaches the take-profit or the stop,
 * or falls trailingStop under the highest high since it was opened (looking back at most trailLookback candles,
 * so that the rule keeps finite memory).
 * Strength: mean of the volume surplus over the threshold (one more multiple = full) and the distance past the
 * resistance (the stop distance = full).
 */
import { priorMax, priorMean } from '../indicators/trend';
import type { StrategyConfig } from './config';
import { clamp01, entryOdds, exitValue, pct, price } from './proposalMath';
import type { Strategy } from './strategy';

type Params = StrategyConfig['swing'];

export const swing: Strategy<Params> = {
  name: 'swing',
  warmup: (p) => Math.max(p.resistancePeriod + 1, p.volumePeriod + 1, p.trailLookback),
  prepare: (m, p) => ({
    resistance: priorMax(m.base.high, p.resistancePeriod),
    volumeAverage: priorMean(m.base.volume, p.volumePeriod),
  }),
  entry(i, c, p, m, costs) {
    const close = m.base.close[i];
    const volumeRatio = m.base.volume[i] / c.volumeAverage[i];
    if (!(close > c.resistance[i]) || !(volumeRatio >= p.volumeMultiple)) return null;
    const stop = close * (1 - p.stopLoss);
    const takeProfit = close * (1 + p.takeProfit);
    const strength = (clamp01((volumeRatio - p.volumeMultiple) / p.volumeMultiple) + clamp01((close / c.resistance[i] - 1) / p.stopLoss)) / 2;
    const odds = entryOdds(close, stop, takeProfit, strength, costs);
    return {
      side: 'buy', confidence: odds.confidence, entry: close, stop, takeProfit, trailingPct: p.trailingStop,
      expectedValue: odds.expectedValue,
      reason: `close ${price(close)} broke the ${p.resistancePeriod}-candle resistance ${price(c.resistance[i])} on ${volumeRatio.toFixed(1)}x volume`,
    };
  },
  exit(i, _c, p, m, position, costs) {
    const { close, high, time } = m.base;
    const change = close[i] / position.avgPrice - 1;
    let highWater = position.avgPrice;
    for (let k = Math.max(0, i - p.trailLookback + 1); k <= i; k++) {
      if (position.openedAt === undefined || time[k] >= position.openedAt) highWater = Math.max(highWater, high[k]);
    }
    const fromHigh = 1 - close[i] / highWater;
    let reason: string | null = null;
    if (change >= p.takeProfit) reason = `take-profit: ${pct(change)} over the entry ${price(position.avgPrice)}`;
    else if (change <= -p.stopLoss) reason = `stop-loss: ${pct(change)} under the entry ${price(position.avgPrice)}`;
    else if (fromHigh >= p.trailingStop) reason = `trailing stop: ${pct(fromHigh)} under the high ${price(highWater)}`;
    if (reason === null) return null;
    return { side: 'sell', confidence: 1, entry: close[i], expectedValue: exitValue(close[i], position.avgPrice, costs.costRate), reason };
  },
};
