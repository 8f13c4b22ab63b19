/**
 * The paper broker's market model, pure so it can be tested against real candles and reasoned about on paper.
 *
 * Taker slippage (market orders, triggered stops), as a fraction of the price:
 *
 *     slippage = halfSpread + volatility × sqrt(quantity / candleVolume)        capped at MAX_SLIPPAGE
 *
 * halfSpread is what even a tiny order pays to cross the spread; the second term is the square-root market-impact
 * law (impact grows with the volatility and the square root of the order's share of traded volume). volatility is
 * the standard deviation of log close-to-close returns per candle and candleVolume the average base volume per
 * candle, both over recent candles. Without candles (volatility = candleVolume = 0) only the half-spread applies.
 *
 * Resting limit orders fill against each later candle, as a maker (no slippage, maker fee), at their limit price:
 * the share of the candle's range beyond the limit is taken as the share of its volume that traded there, and the
 * order gets at most `maxParticipation` of that. A candle that only touches the limit fills nothing (the queue
 * ahead of the order takes it), one that trades deep through it can fill the rest; a big order fills over several
 * candles, as it would on an exchange.
 */
import { stopTriggered } from './stops';
import type { Candle, Fill, Side } from './types';

/** Slippage cap: a thin or empty candle must not produce absurd prices. */
export const MAX_SLIPPAGE = 0.05;
/** Default share of a candle's volume beyond the limit that one resting order may take. */
export const DEFAULT_MAX_PARTICIPATION = 0.1;
/** Candles used to estimate volatility and volume. */
export const CONDITION_WINDOW = 20;

export interface MarketConditions {
  /** Standard deviation of log close-to-close returns per candle; 0 when unknown. */
  volatility: number;
  /** Average base-asset volume per candle; 0 when unknown. */
  candleVolume: number;
}

export interface PaperCosts extends MarketConditions {
  makerFee: number;
  takerFee: number;
  /** Half the bid-ask spread, as a fraction of the price. */
  halfSpread: number;
  maxParticipation: number;
}

export const UNKNOWN_CONDITIONS: MarketConditions = { volatility: 0, candleVolume: 0 };

/** Volatility and volume from the newest CONDITION_WINDOW candles (oldest first). */
export function marketConditions(candles: readonly Candle[]): MarketConditions {
  const recent = candles.slice(-(CONDITION_WINDOW + 1));
  if (recent.length < 2) return UNKNOWN_CONDITIONS;
  const returns: number[] = [];
  for (let i = 1; i < recent.length; i++) {
    if (recent[i - 1][4] > 0 && recent[i][4] > 0) returns.push(Math.log(recent[i][4] / recent[i - 1][4]));
  }
  const mean = returns.reduce((s, r) => s + r, 0) / Math.max(1, returns.length);
  const variance = returns.reduce((s, r) => s + (r - mean) ** 2, 0) / Math.max(1, returns.length - 1);
  const volumes = recent.slice(1).map((c) => c[5]);
  return {
    volatility: returns.length > 1 ? Math.sqrt(variance) : 0,
    candleVolume: volumes.reduce((s, v) => s + v, 0) / volumes.length,
  };
}

/** The formula in the header: slippage of a taker order of `quantity` base units. */
export function takerSlippage(costs: Pick<PaperCosts, 'halfSpread' | 'volatility' | 'candleVolume'>, quantity: number): number {
  const impact = costs.candleVolume > 0 && costs.volatility > 0 ? costs.volatility * Math.sqrt(Math.max(0, quantity) / costs.candleVolume) : 0;
  return Math.min(MAX_SLIPPAGE, costs.halfSpread + impact);
}

/** A taker pays more when buying and gets less when selling. */
export function worsened(side: Side, price: number, slippage: number): number {
  return side === 'buy' ? price * (1 + slippage) : price * (1 - slippage);
}

export interface RestingPaperOrder {
  side: Side;
  /** `market`: an order that met a candle without trading, waiting for one with volume. */
  type: 'limit' | 'stop' | 'market';
  quantity: number;
  /** Filled so far, before the candles being matched. */
  filledQuantity: number;
  limitPrice?: number;
  stopPrice?: number;
  /** The price a market order was sized at: a waiting buy spends no more than that reserved (see matchCandle). */
  referencePrice?: number;
}

/** Share (0..1) of a candle's range that lies beyond the limit, i.e. where a resting limit order would trade. */
function shareBeyondLimit(side: Side, limit: number, candle: Candle): number {
  const [, , high, low] = candle;
  if (high <= low) return side === 'buy' ? Number(low < limit) : Number(high > limit);
  const share = side === 'buy' ? (limit - low) / (high - low) : (high - limit) / (high - low);
  return Math.min(1, Math.max(0, share));
}

/**
 * The fill (if any) one later candle gives a resting order. A candle in which nothing traded (volume 0) fills
 * nothing, whatever its prices say.
 */
export function matchCandle(order: RestingPaperOrder, candle: Candle, costs: PaperCosts): Fill | null {
  const remaining = order.quantity - order.filledQuantity;
  if (!(remaining > 0) || !(candle[5] > 0)) return null;
  if (order.type === 'market') {
    // At the open of the first candle that traded, as a market order placed then would; a buy gets what the cash it
    // reserved at its sizing price pays for, so a gap up never spends cash promised elsewhere.
    const price = worsened(order.side, candle[1], takerSlippage(costs, remaining));
    const quantity = order.side === 'buy' && order.referencePrice !== undefined ? Math.min(remaining, (remaining * order.referencePrice) / price) : remaining;
    return { price, quantity, fee: price * quantity * costs.takerFee, timestamp: candle[0] };
  }
  if (order.type === 'stop') {
    if (order.stopPrice === undefined) throw new Error('a stop order needs a stopPrice');
    const check = stopTriggered({ side: order.side, triggerPrice: order.stopPrice }, candle);
    if (!check.triggered) return null;
    // A fired stop is a market order: taker slippage and fee on everything that is left.
    const price = worsened(order.side, check.price, takerSlippage(costs, remaining));
    return { price, quantity: remaining, fee: price * remaining * costs.takerFee, timestamp: check.timestamp };
  }
  if (order.limitPrice === undefined) throw new Error('a limit order needs a limitPrice');
  const tradedBeyond = candle[5] * shareBeyondLimit(order.side, order.limitPrice, candle);
  const quantity = Math.min(remaining, costs.maxParticipation * tradedBeyond);
  if (!(quantity > 0)) return null;
  const price = order.limitPrice;
  return { price, quantity, fee: price * quantity * costs.makerFee, timestamp: candle[0] };
}

/** Fills from candles in time order, stopping once the order is complete. */
export function matchCandles(order: RestingPaperOrder, candles: readonly Candle[], costs: PaperCosts): Fill[] {
  const fills: Fill[] = [];
  let filled = order.filledQuantity;
  for (const candle of candles) {
    const fill = matchCandle({ ...order, filledQuantity: filled }, candle, costs);
    if (!fill) continue;
    fills.push(fill);
    filled += fill.quantity;
    if (order.type === 'market' || filled >= order.quantity * (1 - 1e-12)) break;
  }
  return fills;
}

/** Whether a limit order can trade immediately at `price` (it then takes liquidity instead of resting). */
export function marketable(side: Side, limitPrice: number, price: number): boolean {
  return side === 'buy' ? price <= limitPrice : price >= limitPrice;
}
