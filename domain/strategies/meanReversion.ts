/**
 * Mean reversion: the close below the lower Bollinger band with RSI oversold; the target is the middle band, the
 * stop stopAtr ATRs under the entry. Held positions are sold when the close is back at the middle band, or above
 * the upper band with RSI overbought.
 * Strength: mean of the depth under the lower band (in standard deviations, 1 = full) and how far RSI is under
 * the oversold line (15 points = full).
 */
import { rsi } from '../indicators/rsiAndTrueRange';
import { atr, bollinger } from '../indicators/trend';
import type { StrategyConfig } from './config';
import { clamp01, entryOdds, exitValue, price, signalExitConfidence } from './proposalMath';
import type { Strategy } from './strategy';

type Params = StrategyConfig['meanReversion'];

export const meanReversion: Strategy<Params> = {
  name: 'meanReversion',
  warmup: (p) => Math.max(p.period, p.rsiPeriod + 1, p.atrPeriod + 1),
  prepare(m, p) {
    const { close, high, low } = m.base;
    const bands = bollinger(close, p.period);
    return { middle: bands.middle, sd: bands.sd, rsi: rsi(close, p.rsiPeriod), atr: atr(high, low, close, p.atrPeriod) };
  },
  entry(i, c, p, m, costs) {
    const close = m.base.close[i];
    const lower = c.middle[i] - p.bandSd * c.sd[i];
    if (!(close < lower) || !(c.rsi[i] < p.oversold) || !(c.atr[i] > 0)) return null;
    const stop = close - p.stopAtr * c.atr[i];
    const takeProfit = c.middle[i];
    if (!(stop > 0) || !(takeProfit > close)) return null;
    const strength = (clamp01((lower - close) / c.sd[i]) + clamp01((p.oversold - c.rsi[i]) / 15)) / 2;
    const odds = entryOdds(close, stop, takeProfit, strength, costs);
    return {
      side: 'buy', confidence: odds.confidence, entry: close, stop, takeProfit, expectedValue: odds.expectedValue,
      reason: `close ${price(close)} under the lower Bollinger band ${price(lower)} with RSI ${c.rsi[i].toFixed(1)} < ${p.oversold}; target the middle band`,
    };
  },
  exit(i, c, p, m, position, costs) {
    const close = m.base.close[i];
    const upper = c.middle[i] + p.bandSd * c.sd[i];
    const value = exitValue(close, position.avgPrice, costs.costRate);
    if (close >= c.middle[i]) {
      return { side: 'sell', confidence: 1, entry: close, expectedValue: value, reason: `close ${price(close)} back at the middle band ${price(c.middle[i])}` };
    }
    if (close > upper && c.rsi[i] > p.overbought) {
      return {
        side: 'sell', confidence: signalExitConfidence((c.rsi[i] - p.overbought) / 15), entry: close, expectedValue: value,
        reason: `close above the upper band with RSI ${c.rsi[i].toFixed(1)} > ${p.overbought}`,
      };
    }
    return null;
  },
};
