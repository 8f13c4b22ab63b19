/**
 * Paper orders with the live lifecycle: market orders fill at the next price; limit and stop orders rest, fill
 * (partly) against the candles that follow, expire, and can be cancelled. The order store is the paper exchange: an
 * order saved there has been placed, so a retry finds it and never places it twice.
 *
 * A poll matches only the candles after the newest fill (or the placement) against what is left of the order, with
 * the market conditions at placement, so fills already reported never change and a poll repeated at the same
 * cursor adds nothing. On a live market, poll a resting paper order at least once per 1000 candles (the most a
 * poll fetches).
 */
import { ApplicationFailure } from '@temporalio/common';
import { timeframeToMs } from '../../domain/candles';
import { isFinal, isResting, restingStatus, summarizeFills } from '../../domain/orderLifecycle';
import { matchCandles } from '../../domain/paperMatching';
import type { MarketCursor, OrderRequest, OrderResult } from '../../domain/types';
import { fetchNextPrice } from '../market';
import { findOrder, saveOrder, type OrderContext } from '../persistence/orderStore';
import { limitIsMarketable, paperCosts, paperFill, paperReject, restingRefusal, type Balances, type PaperTerms } from './paperBroker';
import { paperFees } from './paperFees';
import { candlesBetween, conditionsAt } from './paperMarket';

export interface PaperVenue {
  market: string;
  timeframe: string;
  cursor: MarketCursor;
  paper: PaperTerms;
}

function cursorTime(venue: PaperVenue, what: string): number {
  if (venue.cursor?.time === null || !Number.isFinite(venue.cursor?.time)) {
    throw ApplicationFailure.nonRetryable(`${what} on ${venue.market} needs the cursor of a fetched cycle, got ${JSON.stringify(venue.cursor)}`, 'InvalidInput');
  }
  return venue.cursor.time;
}

async function costsFor(req: OrderRequest, venue: PaperVenue, at: number | null) {
  const conditions = at === null ? undefined : await conditionsAt(venue.market, req.symbol, venue.timeframe, at);
  return paperCosts(venue.paper, paperFees(venue.paper, venue.market), conditions);
}

/** Places a paper order once: a stored order is returned as it is. */
export async function placePaperOrder(req: OrderRequest, venue: PaperVenue, balances: Balances, context: OrderContext): Promise<OrderResult> {
  const existing = await findOrder(req.clientOrderId);
  if (existing) return { ...existing, deduplicated: true };
  const next = await fetchNextPrice({ market: venue.market, symbol: req.symbol, timeframe: venue.timeframe, cursor: venue.cursor });
  const costs = await costsFor(req, venue, venue.cursor?.time ?? null);

  let result: OrderResult;
  if (req.type === 'market' || limitIsMarketable(req, next.price)) {
    const refusal = req.type === 'limit' ? restingRefusal(req, next.price, balances, costs) : null;
    result = refusal ? paperReject(req, refusal) : paperFill(req, next, venue.paper, balances, costs);
  } else {
    const refusal = restingRefusal(req, next.price, balances, costs);
    result = refusal
      ? paperReject(req, refusal)
      : {
          clientOrderId: req.clientOrderId, symbol: req.symbol, side: req.side, status: 'open', requestedQuantity: req.quantity,
          filledQuantity: 0, avgPrice: 0, fee: 0, fills: [], deduplicated: false, placedAt: cursorTime(venue, `${req.type} order ${req.clientOrderId}`),
        };
  }
  await saveOrder(req, result, context);
  return result;
}

/**
 * A resting paper order brought up to the market clock (the cursor): fills from every candle after placement,
 * `expired` once its time in force has run out on that clock. Saved before it is returned.
 */
export async function pollPaperOrder(req: OrderRequest, stored: OrderResult, venue: PaperVenue, context: OrderContext): Promise<OrderResult> {
  if (isFinal(stored.status)) return stored;
  if (stored.placedAt === undefined) throw ApplicationFailure.nonRetryable(`paper order ${req.clientOrderId} has no placement time`, 'InvalidOrderState');
  const now = cursorTime(venue, `poll of ${req.clientOrderId}`);
  const expiresAt = req.timeInForceMs !== undefined ? stored.placedAt + req.timeInForceMs : Infinity;
  // Fills carry the open time of their candle: later candles are the ones not matched yet.
  const matchedThrough = stored.fills.length > 0 ? stored.fills[stored.fills.length - 1].timestamp : stored.placedAt;
  const candles = (await candlesBetween(venue.market, req.symbol, venue.timeframe, matchedThrough, now)).filter((c) => c[0] < expiresAt);
  const costs = await costsFor(req, venue, stored.placedAt);
  const fresh = matchCandles(
    {
      side: req.side, type: req.type === 'stop' ? 'stop' : 'limit', quantity: req.quantity,
      filledQuantity: summarizeFills(stored.fills).filledQuantity, limitPrice: req.limitPrice, stopPrice: req.stopPrice,
    },
    candles,
    costs,
  );
  const fills = [...stored.fills, ...fresh];
  const summary = summarizeFills(fills);
  let status = restingStatus(req.quantity, summary.filledQuantity);
  // The market clock has passed the end of the newest candle seen when the next one is due.
  if (isResting(status) && now + timeframeToMs(venue.timeframe) >= expiresAt) status = 'expired';
  const result: OrderResult = { ...stored, ...summary, status, fills, deduplicated: false };
  if (result.status !== stored.status || fills.length !== stored.fills.length) await saveOrder(req, result, context);
  return result;
}

/** Brings the order up to date, then cancels it if it still rests; a final order is returned unchanged. */
export async function cancelPaperOrder(req: OrderRequest, stored: OrderResult, venue: PaperVenue, context: OrderContext): Promise<OrderResult> {
  const current = await pollPaperOrder(req, stored, venue, context);
  if (isFinal(current.status)) return current;
  const cancelled: OrderResult = { ...current, status: 'cancelled' };
  await saveOrder(req, cancelled, context);
  return cancelled;
}
