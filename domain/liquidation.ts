/**
 * The sells of a liquidation: every position at market, one order each, its fills booked as they come. One
 * implementation for the liquidation workflow (orders through its activity) and the backtester's drawdown
 * liquidation (through its in-process effect), as runCycle is one for the cycle. A position that cannot be sold
 * does not keep the others open: its failure is returned with the rest.
 */
import type { PlaceOrderInput } from './contracts/execution';
import type { CycleTrade } from './bookOrder';
import type { PortfolioConfig } from './config';
import { clientOrderId } from './ids';
import { applyFill } from './ledger';
import type { MarketCursor, OrderResult, PortfolioBook, Position } from './types';

export interface LiquidationVenue {
  /** The liquidation's id: the cycle id of its orders, and the root of their client order ids (idempotency). */
  id: string;
  portfolioId: string;
  config: Pick<PortfolioConfig, 'mode' | 'market' | 'timeframe' | 'paper'>;
  cursor: MarketCursor;
  /** Reference prices for the market orders; a position without one is referenced at its average price. */
  prices: Record<string, number>;
}

export interface LiquidationSells {
  book: PortfolioBook;
  orders: OrderResult[];
  trades: CycleTrade[];
  errors: string[];
}

export async function sellPositions(
  book: PortfolioBook,
  positions: readonly Position[],
  venue: LiquidationVenue,
  placeOrder: (input: PlaceOrderInput) => Promise<OrderResult>,
  describeFailure: (err: unknown) => string,
): Promise<LiquidationSells> {
  const { id, portfolioId, config, cursor, prices } = venue;
  const orders: OrderResult[] = [];
  const trades: CycleTrade[] = [];
  const errors: string[] = [];
  for (const position of positions) {
    try {
      const result = await placeOrder({
        request: {
          clientOrderId: clientOrderId(id, position.symbol, 'sell'), portfolioId, cycleId: id,
          symbol: position.symbol, side: 'sell', type: 'market', quantity: position.quantity,
          referencePrice: prices[position.symbol] ?? position.avgPrice,
        },
        mode: config.mode, market: config.market, timeframe: config.timeframe, cursor, paper: config.paper,
        balances: { cash: book.cash, position: position.quantity },
      });
      orders.push(result);
      for (const fill of result.fills) {
        const before = book.realizedPnlToday;
        book = applyFill(book, result.symbol, 'sell', fill);
        trades.push({
          symbol: result.symbol, side: 'sell', price: fill.price, notional: fill.price * fill.quantity, realizedPnl: book.realizedPnlToday - before,
          quantity: fill.quantity, fee: fill.fee, time: fill.timestamp, clientOrderId: result.clientOrderId,
        });
      }
    } catch (err) {
      errors.push(`${position.symbol}: ${describeFailure(err)}`);
    }
  }
  return { book, orders, trades, errors };
}
