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
import { timeframeToMs } from '../../domain/candles';
import { isFinal } from '../../domain/orderLifecycle';
import type { MarketCursor, OrderRequest, OrderResult } from '../../domain/types';
import { fetchNextPrice } from '../market';
import { findOrder, saveOrder, type OrderContext } from '../persistence/orderStore';
import { paperCosts, type Balances, type PaperTerms } from '../../domain/paperBroker';
import { advanceRestingOrder, matchedThrough, placePaperOrderAt } from '../../domain/paperOrderRules';
import { paperFees } from './paperFees';
import { candlesBetween, conditionsAt } from './paperMarket';
import { failure } from '../../domain/failures';

export interface PaperVenue {
  market: string;
  timeframe: string;
  cursor: MarketCursor;
  paper: PaperTerms;
}

function cursorTime(venue: PaperVenue, what: string): number {
  if (venue.cursor?.time === null || !Number.isFinite(venue.cursor?.time)) {
    throw failure('InvalidInput', `${what} on ${venue.market} needs the cursor of a fetched cycle, got ${JSON.stringify(venue.cursor)}`);
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

  const result = placePaperOrderAt(req, next, venue.paper, balances, costs, () => cursorTime(venue, `${req.type} order ${req.clientOrderId}`));
  await saveOrder(req, result, context);
  return result;
}

/**
 * A resting paper order brought up to the market clock (the cursor): fills from every candle after placement,
 * `expired` once its time in force has run out on that clock. Saved before it is returned.
 */
export async function pollPaperOrder(req: OrderRequest, stored: OrderResult, venue: PaperVenue, context: OrderContext): Promise<OrderResult> {
  if (isFinal(stored.status)) return stored;
  if (stored.placedAt === undefined) throw failure('InvalidOrderState', `paper order ${req.clientOrderId} has no placement time`);
  const now = cursorTime(venue, `poll of ${req.clientOrderId}`);
  const candles = await candlesBetween(venue.market, req.symbol, venue.timeframe, matchedThrough(stored), now);
  const costs = await costsFor(req, venue, stored.placedAt);
  const result = advanceRestingOrder(req, stored, candles, costs, now, timeframeToMs(venue.timeframe));
  if (result.status !== stored.status || result.fills.length !== stored.fills.length) await saveOrder(req, result, context);
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
