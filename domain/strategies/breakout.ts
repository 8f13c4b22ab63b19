/**
 * Breakout: volume at least volumeMultiple x its average over the previous volumePeriod candles, with the close
 * above the resistance (highest high of the previous resistancePeriod candles) or above the upper Bollinger band.
 * Stop and target at ATR multiples. Held positions are sold when the close falls back under the SMA(exitPeriod).
 * Strength: mean of the volume surplus over the threshold (one more multiple = full) and the distance past the
 * broken level (one ATR = full).
 */
import { rollingMean } from '../indicators/series';
import { atr, bollinger, priorMax, priorMean } from '../indicators/trend';
import type { StrategyConfig } from './config';
import { clamp01, entryOdds, exitValue, price, signalExitConfidence } from './proposalMath';
import type { Strategy } from './strategy';

type Params = StrategyConfig['breakout'];

export const breakout: Strategy<Params> = {
  name: 'breakout',
  warmup: (p) => Math.max(p.volumePeriod + 1, p.resistancePeriod + 1, p.bandPeriod, p.atrPeriod + 1, p.exitPeriod),
  prepare(m, p) {
    const { close, high, low, volume } = m.base;
    const bands = bollinger(close, p.bandPeriod);
    const upper = Float64Array.from(bands.middle, (mid, i) => mid + p.bandSd * bands.sd[i]);
    return {
      volumeAverage: priorMean(volume, p.volumePeriod),
      resistance: priorMax(high, p.resistancePeriod),
      upper,
      atr: atr(high, low, close, p.atrPeriod),
      exitSma: rollingMean(close, p.exitPeriod),
    };
  },
  entry(i, c, p, m, costs) {
    const close = m.base.close[i];
    const volumeRatio = m.base.volume[i] / c.volumeAverage[i];
    if (!(volumeRatio >= p.volumeMultiple) || !(c.atr[i] > 0)) return null;
    const aboveResistance = close > c.resistance[i];
    const aboveBand = close > c.upper[i];
    if (!aboveResistance && !aboveBand) return null;
    const level = aboveResistance && aboveBand ? Math.max(c.resistance[i], c.upper[i]) : aboveResistance ? c.resistance[i] : c.upper[i];
    const stop = close - p.stopAtr * c.atr[i];
    const takeProfit = close + p.targetAtr * c.atr[i];
    if (!(stop > 0)) return null;
    const strength = (clamp01((volumeRatio - p.volumeMultiple) / p.volumeMultiple) + clamp01((close - level) / c.atr[i])) / 2;
    const odds = entryOdds(close, stop, takeProfit, strength, costs);
    const broke = [aboveResistance ? `the ${p.resistancePeriod}-candle resistance ${price(c.resistance[i])}` : '', aboveBand ? `the upper band ${price(c.upper[i])}` : '']
      .filter(Boolean).join(' and ');
    return {
      side: 'buy', confidence: odds.confidence, entry: close, stop, takeProfit, expectedValue: odds.expectedValue,
      reason: `close ${price(close)} broke ${broke} on ${volumeRatio.toFixed(1)}x average volume`,
    };
  },
  exit(i, c, p, m, position, costs) {
    const close = m.base.close[i];
    if (!(close < c.exitSma[i])) return null;
    return {
      side: 'sell', confidence: signalExitConfidence((c.exitSma[i] - close) / c.atr[i]), entry: close,
      expectedValue: exitValue(close, position.avgPrice, costs.costRate),
      reason: `close ${price(close)} fell back under SMA ${p.exitPeriod} ${price(c.exitSma[i])}`,
    };
  },
};
