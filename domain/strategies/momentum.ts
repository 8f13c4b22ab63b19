/**
 * Momentum: the fast moving average crossed above the slow one within the last crossLookback candles, confirmed
 * by RSI in its bullish band (rsiMin..rsiMax: strong, not yet overbought) and a positive MACD histogram. Stop and
 * target at ATR multiples. Held positions are sold when the fast average falls back under the slow one, or when
 * MACD turns negative with RSI under 50.
 * Strength: mean of the MACD histogram in quarter-ATRs and RSI's place in the bullish band (each clipped to 0..1).
 */
import { rsi } from '../indicators/rsiAndTrueRange';
import { atr, macd, movingAverage } from '../indicators/trend';
import type { StrategyConfig } from './config';
import { clamp01, entryOdds, exitValue, price, signalExitConfidence } from './proposalMath';
import type { Strategy } from './strategy';

type Params = StrategyConfig['momentum'];

const spanOf = (period: number, kind: 'sma' | 'ema') => (kind === 'sma' ? period : 4 * period);

export const momentum: Strategy<Params> = {
  name: 'momentum',
  warmup: (p) => Math.max(
    spanOf(p.slow, p.average) + p.crossLookback,
    4 * p.macdSlow + 4 * p.macdSignal,
    p.rsiPeriod + 1,
    p.atrPeriod + 1,
  ),
  prepare(m, p) {
    const { close, high, low } = m.base;
    return {
      fast: movingAverage(close, p.fast, p.average),
      slow: movingAverage(close, p.slow, p.average),
      rsi: rsi(close, p.rsiPeriod),
      histogram: macd(close, p.macdFast, p.macdSlow, p.macdSignal).histogram,
      atr: atr(high, low, close, p.atrPeriod),
    };
  },
  entry(i, c, p, m, costs) {
    if (!(c.fast[i] > c.slow[i]) || !(c.rsi[i] > p.rsiMin && c.rsi[i] < p.rsiMax) || !(c.histogram[i] > 0)) return null;
    let crossedAgo = -1;
    for (let k = i; k > i - p.crossLookback && k >= 1; k--) {
      if (c.fast[k - 1] <= c.slow[k - 1] && c.fast[k] > c.slow[k]) {
        crossedAgo = i - k;
        break;
      }
    }
    if (crossedAgo < 0 || !(c.atr[i] > 0)) return null;
    const close = m.base.close[i];
    const stop = close - p.stopAtr * c.atr[i];
    const takeProfit = close + p.targetAtr * c.atr[i];
    if (!(stop > 0)) return null;
    const strength = (clamp01(c.histogram[i] / (0.25 * c.atr[i])) + clamp01((c.rsi[i] - p.rsiMin) / (p.rsiMax - p.rsiMin))) / 2;
    const odds = entryOdds(close, stop, takeProfit, strength, costs);
    const ma = p.average.toUpperCase();
    return {
      side: 'buy', confidence: odds.confidence, entry: close, stop, takeProfit, expectedValue: odds.expectedValue,
      reason: `${ma} ${p.fast} crossed above ${ma} ${p.slow} ${crossedAgo} candle(s) ago; RSI ${c.rsi[i].toFixed(1)}, `
        + `MACD histogram ${price(c.histogram[i])} > 0`,
    };
  },
  exit(i, c, p, m, position, costs) {
    const close = m.base.close[i];
    const ma = p.average.toUpperCase();
    let reason: string | null = null;
    if (c.fast[i] < c.slow[i]) reason = `${ma} ${p.fast} fell below ${ma} ${p.slow}`;
    else if (c.histogram[i] < 0 && c.rsi[i] < 50) reason = `MACD histogram turned negative with RSI ${c.rsi[i].toFixed(1)}`;
    if (reason === null) return null;
    return {
      side: 'sell', confidence: signalExitConfidence(-c.histogram[i] / (0.25 * c.atr[i])), entry: close,
      expectedValue: exitValue(close, position.avgPrice, costs.costRate), reason,
    };
  },
};
