/**
 * What happens to a paper order, without the I/O around it: placement (fill at the next price, rest, or refuse)
 * and how a resting order advances over the candles that followed. Pure, so the paper activities (paperOrders.ts,
 * which add the order store and the market source) and the backtester (backtest/effects.ts, over preloaded
 * candles) apply the very same rules.
 */
import { isFinal, isResting, restingStatus, summarizeFills } from './orderLifecycle';
import { matchCandles, type PaperCosts } from './paperMatching';
import type { Candle, OrderRequest, OrderResult } from './types';
import { belowMinimum, limitIsMarketable, paperFill, paperReject, restingRefusal, type Balances, type PaperTerms } from './paperBroker';

/**
 * A new paper order against the next tradable price: market orders and marketable limits fill now (limits only if
 * the funds for the whole order are there), other limit and stop orders rest from `placedAt()` or are refused.
 * `placedAt` is called only for an order that rests (it may throw when the market clock is unknown).
 *
 * Nothing fills against a candle in which nothing traded (volume 0: an exchange outage, Binance 2023-03-24 12:00):
 * a market order then rests and fills at the open of the first later candle with volume (advanceRestingOrder), as
 * a limit order waits for volume beyond its limit.
 */
export function placePaperOrderAt(
  req: OrderRequest,
  next: { price: number; timestamp: number; volume?: number },
  terms: PaperTerms,
  balances: Balances,
  costs: PaperCosts,
  placedAt: () => number,
): OrderResult {
  if (next.volume === 0 && req.type === 'market') return restMarketOrder(req, next.price, terms, balances, costs, placedAt);
  if (next.volume !== 0 && (req.type === 'market' || limitIsMarketable(req, next.price))) {
    const refusal = req.type === 'limit' ? restingRefusal(req, next.price, balances, costs) : null;
    return refusal ? paperReject(req, refusal) : paperFill(req, next, terms, balances, costs);
  }
  const refusal = restingRefusal(req, next.price, balances, costs);
  if (refusal) return paperReject(req, refusal);
  const tooSmall = belowMinimum(req, req.limitPrice ?? req.stopPrice ?? next.price, req.quantity, terms);
  if (tooSmall) return tooSmall;
  return {
    clientOrderId: req.clientOrderId, symbol: req.symbol, side: req.side, status: 'open', requestedQuantity: req.quantity,
    filledQuantity: 0, avgPrice: 0, fee: 0, fills: [], deduplicated: false, placedAt: placedAt(),
  };
}

/**
 * A market order that meets no trading rests until a candle with volume. A buy must be covered by the cash at the
 * price it was sized at (fee included): that is what the cycle reserves for it, and its fill spends no more.
 */
function restMarketOrder(req: OrderRequest, price: number, terms: PaperTerms, balances: Balances, costs: PaperCosts, placedAt: () => number): OrderResult {
  if (!(req.quantity > 0) || !Number.isFinite(req.quantity)) return paperReject(req, `invalid quantity ${req.quantity}`);
  if (req.side === 'buy' && req.quantity * req.referencePrice * (1 + costs.takerFee) > balances.cash * (1 + 1e-9)) {
    return paperReject(req, `insufficient funds: ${req.quantity} × ${req.referencePrice} needs more than cash ${balances.cash.toFixed(2)}`);
  }
  if (req.side === 'sell' && req.quantity > balances.position * (1 + 1e-9)) {
    return paperReject(req, `insufficient position: selling ${req.quantity} but holding ${balances.position}`);
  }
  const tooSmall = belowMinimum(req, price, req.quantity, terms);
  if (tooSmall) return tooSmall;
  return {
    clientOrderId: req.clientOrderId, symbol: req.symbol, side: req.side, status: 'open', requestedQuantity: req.quantity,
    filledQuantity: 0, avgPrice: 0, fee: 0, fills: [], deduplicated: false, placedAt: placedAt(),
  };
}

/** Open time of the newest candle already matched: a resting order is matched against the candles after it. */
export function matchedThrough(stored: OrderResult): number {
  // Fills carry the open time of their candle.
  return stored.fills.length > 0 ? stored.fills[stored.fills.length - 1].timestamp : stored.placedAt!;
}

/**
 * A resting order brought up to the market clock `now` (open time of the newest candle seen): fills from
 * `candlesAfter` (the candles after matchedThrough(stored), up to now), `expired` once its time in force has run
 * out on that clock. A final order is returned as it is.
 */
export function advanceRestingOrder(
  req: OrderRequest,
  stored: OrderResult,
  candlesAfter: readonly Candle[],
  costs: PaperCosts,
  now: number,
  timeframeMs: number,
): OrderResult {
  if (isFinal(stored.status)) return stored;
  const expiresAt = req.timeInForceMs !== undefined ? stored.placedAt! + req.timeInForceMs : Infinity;
  const candles = candlesAfter.filter((c) => c[0] < expiresAt);
  const fresh = matchCandles(
    {
      side: req.side, type: req.type, quantity: req.quantity, referencePrice: req.referencePrice,
      filledQuantity: summarizeFills(stored.fills).filledQuantity, limitPrice: req.limitPrice, stopPrice: req.stopPrice,
    },
    candles,
    costs,
  );
  const fills = [...stored.fills, ...fresh];
  const summary = summarizeFills(fills);
  // A market order is done with its one fill, even a buy trimmed to the cash it reserved.
  let status = req.type === 'market' && fills.length > 0 ? 'filled' as const : restingStatus(req.quantity, summary.filledQuantity);
  // The market clock has passed the end of the newest candle seen when the next one is due.
  if (isResting(status) && now + timeframeMs >= expiresAt) status = 'expired';
  return { ...stored, ...summary, status, fills, deduplicated: false };
}
