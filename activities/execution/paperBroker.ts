/**
 * The paper broker: fills a market order at the next tradable price, worsened by slippage, and charges the
 * taker fee. It checks the order against the balances the portfolio holds, so paper can never spend
 * cash it does not have or sell coins it does not own (the same refusals a live exchange gives).
 */
import type { OrderRequest, OrderResult } from '../../domain/types';

export interface PaperTerms {
  feeRate: number;
  slippageBps: number;
}

export interface Balances {
  cash: number;
  /** Quantity held of the order's symbol. */
  position: number;
}

export function paperFill(
  req: OrderRequest,
  next: { price: number; timestamp: number },
  terms: PaperTerms,
  balances: Balances,
): OrderResult {
  const base = { clientOrderId: req.clientOrderId, symbol: req.symbol, side: req.side, requestedQuantity: req.quantity, deduplicated: false };
  const reject = (reason: string): OrderResult => ({ ...base, status: 'rejected', filledQuantity: 0, avgPrice: 0, fee: 0, fills: [], rejectReason: reason });

  if (!(req.quantity > 0) || !Number.isFinite(req.quantity)) return reject(`invalid quantity ${req.quantity}`);
  if (!(next.price > 0) || !Number.isFinite(next.price)) return reject(`no valid next price for ${req.symbol} (${next.price})`);

  const slip = terms.slippageBps / 10_000;
  const price = req.side === 'buy' ? next.price * (1 + slip) : next.price * (1 - slip);
  let quantity = req.quantity;
  if (req.side === 'buy') {
    // Sized at the decision price; if the next price moved up, trim to what the cash pays for rather than fail.
    const affordable = balances.cash / (price * (1 + terms.feeRate));
    if (affordable < quantity) quantity = affordable;
    if (!(quantity > 0)) return reject(`insufficient funds: cash ${balances.cash.toFixed(2)}`);
  } else if (quantity > balances.position * (1 + 1e-9)) {
    return reject(`insufficient position: selling ${quantity} but holding ${balances.position}`);
  }
  const fee = price * quantity * terms.feeRate;
  return {
    ...base,
    status: 'filled',
    filledQuantity: quantity,
    avgPrice: price,
    fee,
    fills: [{ price, quantity, fee, timestamp: next.timestamp }],
  };
}
