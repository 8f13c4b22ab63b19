/**
 * Channel: over the previous `window` candles, support is the lowest low and resistance the highest high; the range
 * is a channel when both were touched at least minTouches separate times (a touch: a candle within touchTolerance
 * of the width from the level; consecutive touching candles are one touch) and it is at least minWidth wide.
 * Buy in the bottom buyZone of the channel with the stop stopBuffer widths under support and the target in the
 * middle of the top sellZone (where, on average, the exit rule sells), only when reward:risk >= minRewardToRisk.
 * A held channel position is sold in the top sellZone, or when the close breaks under support by the stop buffer.
 * Strength: mean of the depth in the buy zone (at support = full) and the touches beyond the minimum (as many
 * again = full).
 */
import { nanColumn } from '../indicators/series';
import type { StrategyConfig } from './config';
import { clamp01, entryOdds, exitValue, pct, price, signalExitConfidence } from './proposalMath';
import type { Strategy, StrategyColumns } from './strategy';

type Params = StrategyConfig['channel'];

/** Support, resistance and their separate touches over the `window` candles before each index. */
function channelColumns(high: Float64Array, low: Float64Array, p: Params): StrategyColumns {
  const n = high.length;
  const support = nanColumn(n);
  const resistance = nanColumn(n);
  const supportTouches = nanColumn(n);
  const resistanceTouches = nanColumn(n);
  for (let i = p.window; i < n; i++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = i - p.window; k < i; k++) {
      lo = Math.min(lo, low[k]);
      hi = Math.max(hi, high[k]);
    }
    const tolerance = p.touchTolerance * (hi - lo);
    let sTouches = 0;
    let rTouches = 0;
    let sPrev = false;
    let rPrev = false;
    for (let k = i - p.window; k < i; k++) {
      const s = low[k] <= lo + tolerance;
      const r = high[k] >= hi - tolerance;
      if (s && !sPrev) sTouches++;
      if (r && !rPrev) rTouches++;
      sPrev = s;
      rPrev = r;
    }
    support[i] = lo;
    resistance[i] = hi;
    supportTouches[i] = sTouches;
    resistanceTouches[i] = rTouches;
  }
  return { support, resistance, supportTouches, resistanceTouches };
}

export const channel: Strategy<Params> = {
  name: 'channel',
  warmup: (p) => p.window + 1,
  prepare: (m, p) => channelColumns(m.base.high, m.base.low, p),
  entry(i, c, p, m, costs) {
    const close = m.base.close[i];
    const sup = c.support[i];
    const res = c.resistance[i];
    const width = res - sup;
    const touches = Math.min(c.supportTouches[i], c.resistanceTouches[i]);
    if (!(touches >= p.minTouches) || !(width / sup >= p.minWidth)) return null;
    const position = (close - sup) / width;
    if (!(position >= 0 && position <= p.buyZone)) return null;
    const stop = sup - p.stopBuffer * width;
    const takeProfit = sup + (1 - p.sellZone / 2) * width;
    const rewardToRisk = (takeProfit - close) / (close - stop);
    if (!(rewardToRisk >= p.minRewardToRisk)) return null;
    const strength = (clamp01(1 - position / p.buyZone) + clamp01((touches - p.minTouches) / p.minTouches)) / 2;
    const odds = entryOdds(close, stop, takeProfit, strength, costs);
    return {
      side: 'buy', confidence: odds.confidence, entry: close, stop, takeProfit, expectedValue: odds.expectedValue,
      reason: `close ${price(close)} in the bottom ${pct(position)} of the channel ${price(sup)}..${price(res)} `
        + `(${c.supportTouches[i]} support / ${c.resistanceTouches[i]} resistance touches), reward:risk ${rewardToRisk.toFixed(2)}`,
    };
  },
  exit(i, c, p, m, position, costs) {
    const close = m.base.close[i];
    const sup = c.support[i];
    const width = c.resistance[i] - sup;
    const place = (close - sup) / width;
    const value = exitValue(close, position.avgPrice, costs.costRate);
    if (place >= 1 - p.sellZone) {
      return {
        side: 'sell', confidence: signalExitConfidence((place - (1 - p.sellZone)) / p.sellZone), entry: close, expectedValue: value,
        reason: `close ${price(close)} in the top of the channel (${pct(place)} of ${price(sup)}..${price(c.resistance[i])})`,
      };
    }
    if (close < sup - p.stopBuffer * width) {
      return { side: 'sell', confidence: 1, entry: close, expectedValue: value, reason: `close ${price(close)} broke under the channel's support ${price(sup)}` };
    }
    return null;
  },
};
