/**
 * The execution activity: one order, placed at most once. Paper and live share the lifecycle: look the
 * client order id up first (a retry after a crash or a lost response finds the earlier result), then place,
 * then persist the order and its fills before returning, so no fill exists only in memory.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { MarketCursor, Mode, OrderRequest, OrderResult } from '../../domain/types';
import { fetchNextPrice } from '../market';
import { metrics } from '../metrics';
import { findOrder, saveOrder } from '../persistence/orderStore';
import { placeLiveOrder } from './liveBroker';
import { paperFill, type Balances, type PaperTerms } from './paperBroker';

export interface PlaceOrderInput {
  request: OrderRequest;
  mode: Mode;
  market: string;
  timeframe: string;
  cursor: MarketCursor;
  paper: PaperTerms;
  balances: Balances;
}

export async function placeOrder(input: PlaceOrderInput): Promise<OrderResult> {
  const { request, mode, market } = input;
  const existing = await findOrder(request.clientOrderId);
  if (existing) return { ...existing, deduplicated: true };

  let result: OrderResult;
  if (mode === 'live') {
    if (!market.startsWith('live:')) {
      throw ApplicationFailure.nonRetryable(`live mode needs a live market, got '${market}'`, 'InvalidConfig');
    }
    result = await placeLiveOrder(market.slice('live:'.length), request);
  } else {
    const next = await fetchNextPrice({ market, symbol: request.symbol, timeframe: input.timeframe, cursor: input.cursor });
    result = paperFill(request, next, input.paper, input.balances);
  }
  await saveOrder(request, result, { mode, market });
  metrics.orders.inc({ mode, side: request.side, status: result.status });
  if (result.fills.length) metrics.fills.inc({ mode, side: request.side }, result.fills.length);
  return result;
}
