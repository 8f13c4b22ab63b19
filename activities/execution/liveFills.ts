/**
 * Exchange trades and orders into the book's terms. Pure: ccxt structures in, domain values out.
 *
 * The book pays fees in the quote currency. Exchanges often take them from the asset received instead (Binance
 * takes a buy's commission in the base asset), so such a fill is recorded net: a buy of A with fee f in base
 * becomes a fill of A - f at the trade price with fee f × price, which leaves exactly the cash and the position
 * the account has. A fee in a third asset (BNB, KCS) is outside the book and recorded as 0; reconciliation
 * reports any difference that causes.
 */
import type { Order, Trade } from 'ccxt';
import { restingStatus } from '../../domain/orderLifecycle';
import type { Fill, OrderStatus, Side } from '../../domain/types';

export interface MarketAssets {
  base: string;
  quote: string;
}

type FeeLike = { cost?: number; currency?: string } | undefined;

function feesOf(item: { fee?: FeeLike; fees?: FeeLike[] }): { cost: number; currency?: string }[] {
  const list = item.fees && item.fees.length > 0 ? item.fees : item.fee ? [item.fee] : [];
  return list.filter((f): f is { cost: number; currency?: string } => typeof f?.cost === 'number' && f.cost !== 0);
}

/** One ledger fill from a gross traded amount and its fees. */
export function ledgerFill(side: Side, price: number, amount: number, fees: { cost: number; currency?: string }[], timestamp: number, assets: MarketAssets): Fill {
  let quantity = amount;
  let fee = 0;
  for (const f of fees) {
    if (f.currency === undefined || f.currency === assets.quote) fee += f.cost;
    else if (f.currency === assets.base) {
      quantity += side === 'buy' ? -f.cost : f.cost;
      fee += f.cost * price;
    }
  }
  return { price, quantity, fee, timestamp };
}

export function tradeToFill(trade: Trade, side: Side, assets: MarketAssets): Fill {
  return ledgerFill(side, Number(trade.price), Number(trade.amount), feesOf(trade), trade.timestamp ?? 0, assets);
}

/** Trades in the order they happened (timestamp, then exchange trade id). */
export function tradesInOrder(trades: readonly Trade[]): Trade[] {
  return [...trades].sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0) || String(a.id ?? '').localeCompare(String(b.id ?? ''), 'en', { numeric: true }));
}

/**
 * For exchanges that cannot list an order's trades: one fill for what the order filled beyond what is already known
 * (`grossKnown`, the exchange's filled amount at the last update, and `knownNotional`, its cost), at the price that
 * makes the notional add up, with the order's fees pro rata.
 */
export function cumulativeFill(order: Order, side: Side, grossKnown: number, knownNotional: number, assets: MarketAssets, timestamp: number): Fill | null {
  const filled = order.filled ?? 0;
  const delta = filled - grossKnown;
  if (!(delta > filled * 1e-12)) return null;
  const cost = order.cost ?? (order.average ?? order.price ?? 0) * filled;
  const deltaPrice = (cost - knownNotional) / delta;
  const price = deltaPrice > 0 ? deltaPrice : (order.average ?? order.price ?? 0);
  const fees = feesOf(order).map((f) => ({ ...f, cost: (f.cost * delta) / filled }));
  return ledgerFill(side, price, delta, fees, timestamp, assets);
}

/**
 * ccxt's unified status to ours. `canceled` keeps the fills it got (filledQuantity says how many); an order that is
 * `open` after a trigger or a partial fill is `partially_filled`.
 */
export function toOrderStatus(order: Order, requested: number): OrderStatus {
  switch (order.status) {
    case 'closed':
      return 'filled';
    case 'canceled':
      return 'cancelled';
    case 'expired':
      return 'expired';
    case 'rejected':
      return 'rejected';
    default:
      return restingStatus(requested, order.filled ?? 0) === 'filled' ? 'filled' : order.filled ? 'partially_filled' : 'open';
  }
}
