/**
 * The plain SMA crossover, long only: buy when the fast SMA crosses above the slow one, sell the held position
 * when it crosses below. The cross is strict on both candles, as backtesting.py's crossover() is, so the trust
 * test can compare trades one for one. It has no stop or target, hence no measured edge: confidence 0.5 and an
 * expected value of minus the costs; run it with the EV floor off (smaCrossOnlyConfig).
 */
import { rollingMean } from '../indicators/series';
import type { StrategyConfig } from './config';
import { exitValue, price } from './proposalMath';
import type { Strategy } from './strategy';

type Params = StrategyConfig['smaCross'];

export const smaCross: Strategy<Params> = {
  name: 'smaCross',
  // The slow SMA at i - 1 must exist.
  warmup: (p) => p.slow + 1,
  prepare: (m, p) => ({ fast: rollingMean(m.base.close, p.fast), slow: rollingMean(m.base.close, p.slow) }),
  entry(i, c, p, m, costs) {
    if (i < 1 || !(c.fast[i - 1] < c.slow[i - 1] && c.fast[i] > c.slow[i])) return null;
    const close = m.base.close[i];
    return {
      side: 'buy', confidence: 0.5, entry: close, expectedValue: -costs.costRate,
      reason: `SMA ${p.fast} crossed above SMA ${p.slow} (${price(c.fast[i])} > ${price(c.slow[i])})`,
    };
  },
  exit(i, c, p, m, position, costs) {
    if (i < 1 || !(c.fast[i - 1] > c.slow[i - 1] && c.fast[i] < c.slow[i])) return null;
    const close = m.base.close[i];
    return {
      side: 'sell', confidence: 0.5, entry: close, expectedValue: exitValue(close, position.avgPrice, costs.costRate),
      reason: `SMA ${p.fast} crossed below SMA ${p.slow} (${price(c.fast[i])} < ${price(c.slow[i])})`,
    };
  },
};
