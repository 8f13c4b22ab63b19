/**
 * Cancels the portfolio's open orders, then sells every position: for an emergency stop, `tradectl liquidate`,
 * or a drawdown halt that liquidates. A child of the
 * portfolio, visible in the Web UI. Idempotent: its client order ids derive from its own workflow id, so a retried
 * or replayed order is found instead of placed again, and a position that is already gone is not sold.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import type { PortfolioConfig } from '../domain/config';
import { clientOrderId } from '../domain/ids';
import { applyFill, equity } from '../domain/ledger';
import type { MarketCursor, OrderResult, PortfolioBook } from '../domain/types';
import { workflowNow } from '../domain/workflowClock';
import { execution, recorder } from './activityProxies';
import { describeFailure, type CycleTrade } from './tradingCycle';

const CANCEL_OPEN_ORDERS_PATCH = 'cancel-open-orders';

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
  let book = input.book;
  const orders: OrderResult[] = [];
  const trades: CycleTrade[] = [];
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

  for (const position of input.sellPositions === false ? [] : Object.values(input.book.positions)) {
    try {
      const result = await execution.placeOrder({
        request: {
          clientOrderId: clientOrderId(id, position.symbol, 'sell'), portfolioId: input.portfolioId, cycleId: id,
          symbol: position.symbol, side: 'sell', type: 'market', quantity: position.quantity,
          referencePrice: input.prices[position.symbol] ?? position.avgPrice,
        },
        mode: config.mode, market: config.market, timeframe: config.timeframe, cursor: input.cursor, paper: config.paper,
        balances: { cash: book.cash, position: position.quantity },
      });
      orders.push(result);
      for (const fill of result.fills) {
        const before = book.realizedPnlToday;
        book = applyFill(book, result.symbol, 'sell', fill);
        trades.push({ symbol: result.symbol, side: 'sell', price: fill.price, notional: fill.price * fill.quantity, realizedPnl: book.realizedPnlToday - before });
      }
    } catch (err) {
      // One position that cannot be sold must not keep the others open.
      errors.push(`${position.symbol}: ${describeFailure(err)}`);
    }
  }

  await recorder.recordCycle({
    cycleId: id, portfolioId: input.portfolioId, cycleNo: input.cycleNo, mode: config.mode, market: config.market,
    status: errors.length ? 'failed' : 'completed',
    error: [`liquidation: ${input.reason}`, ...errors].join('; '),
    startedAt, finishedAt: workflowNow(), features: [], signals: [], verdicts: [], decisions: [], orders, book,
    prices: input.prices, equity: equity(book, input.prices),
  });
  return { book, orders, trades, errors };
}
