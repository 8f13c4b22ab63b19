/**
 * Cancels the portfolio's open orders, then sells every position: for an emergency stop, `tradectl liquidate`,
 * or a drawdown halt that liquidates. A child of the
 * portfolio, visible in the Web UI. Idempotent: its client order ids derive from its own workflow id, so a retried
 * or replayed order is found instead of placed again, and a position that is already gone is not sold.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import type { PortfolioConfig } from '../domain/config';
import { equity } from '../domain/ledger';
import { sellPositions } from '../domain/liquidation';
import type { MarketCursor, OrderResult, PortfolioBook } from '../domain/types';
import { workflowNow } from './workflowClock';
import { execution, recorder } from './activityProxies';
import { describeFailure } from '../domain/failures';
import type { CycleTrade } from './tradingCycle';
import type { PatchId } from './patches';

const CANCEL_OPEN_ORDERS_PATCH: PatchId = 'cancel-open-orders';

export interface LiquidationInput {
  portfolioId: string;
  cycleNo: number;
  config: PortfolioConfig;
  book: PortfolioBook;
  cursor: MarketCursor;
  prices: Record<string, number>;
  reason: string;
  /** False for a drawdown halt that does not liquidate: open orders are cancelled, positions kept. */
  sellPositions?: boolean;
}

export interface LiquidationOutcome {
  book: PortfolioBook;
  orders: OrderResult[];
  trades: CycleTrade[];
  errors: string[];
}

export async function liquidationWorkflow(input: LiquidationInput): Promise<LiquidationOutcome> {
  const { config } = input;
  const id = workflowInfo().workflowId;
  const startedAt = workflowNow();
  const errors: string[] = [];

  if (patched(CANCEL_OPEN_ORDERS_PATCH)) {
    // Resting orders first: a limit buy filling during the liquidation would reopen a position.
    try {
      await execution.cancelAllOpenOrders({
        mode: config.mode, market: config.market, timeframe: config.timeframe, cursor: input.cursor, paper: config.paper,
        portfolioId: input.portfolioId, symbols: config.symbols,
      });
    } catch (err) {
      errors.push(`cancelling open orders: ${describeFailure(err)}`);
    }
  }

  const { book, orders, trades, errors: unsold } = await sellPositions(
    input.book,
    input.sellPositions === false ? [] : Object.values(input.book.positions),
    { id, portfolioId: input.portfolioId, config, cursor: input.cursor, prices: input.prices },
    (order) => execution.placeOrder(order),
    describeFailure,
  );
  errors.push(...unsold);

  await recorder.recordCycle({
    cycleId: id, portfolioId: input.portfolioId, cycleNo: input.cycleNo, mode: config.mode, market: config.market,
    status: errors.length ? 'failed' : 'completed',
    error: [`liquidation: ${input.reason}`, ...errors].join('; '),
    startedAt, finishedAt: workflowNow(), features: [], signals: [], verdicts: [], decisions: [], orders, book,
    prices: input.prices, equity: equity(book, input.prices),
  });
  return { book, orders, trades, errors };
}
