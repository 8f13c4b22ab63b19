/**
 * The paper broker's decisions, pure: what a market order fills at, whether a limit or stop order is accepted, and
 * the refusals a live exchange would give (no spending cash the portfolio does not have, no selling coins it does
 * not own). The market model (slippage, resting-order fills) is domain/paperMatching.ts.
 */
import { DEFAULT_MAX_PARTICIPATION, marketable, takerSlippage, worsened, type MarketConditions, type PaperCosts } from './paperMatching';
import type { OrderRequest, OrderResult } from './types';

export interface PaperTerms {
  /** Fee on every fill when no exchange fee schedule applies (see paperFeeSchedule). */
  feeRate: number;
  /** Half the bid-ask spread, in basis points: the slippage even a tiny taker order pays. */
  slippageBps: number;
  /** Charge this exchange's maker/taker schedule instead of feeRate (default: the `live:<id>` market's exchange). */
  exchangeId?: string;
  /** Largest share of a candle's volume beyond its limit one resting order may fill (default 0.1). */
  maxParticipation?: number;
  /**
   * The smallest order notional the paper venue accepts, as an exchange's minimum does (default
   * DEFAULT_PAPER_MIN_NOTIONAL, Binance's 5 USDT): what is left under it cannot be sold, so paper meets dust as live does.
   */
  minNotional?: number;
}

/** Binance's minimum notional on its USDT spot pairs (the NOTIONAL filter), the paper venue's default. */
export const DEFAULT_PAPER_MIN_NOTIONAL = 5;

/** The refusal of an order worth less than the paper venue's minimum, or null. */
export function belowMinimum(req: OrderRequest, price: number, quantity: number, terms: PaperTerms): OrderResult | null {
  const minimum = terms.minNotional ?? DEFAULT_PAPER_MIN_NOTIONAL;
  const notional = quantity * price;
  if (!(minimum > 0) || notional >= minimum) return null;
  return {
    ...paperReject(req, `${req.symbol} notional ${quantity} × ${price} = ${notional.toFixed(8)} is below the exchange minimum ${minimum} (paper.minNotional)`),
    belowMinimum: { notional: minimum },
  };
}

export interface Balances {
  cash: number;
  /** Quantity held of the order's symbol. */
  position: number;
}

export interface Fees {
  maker: number;
  taker: number;
}

/**
 * The fees a paper order pays: the exchange's schedule when the terms or a `live:<id>` market name one (from
 * `exchangeSchedule`: ccxt's description of the exchange, activities/execution/paperFees.ts), else feeRate for both.
 */
export function paperFeeSchedule(terms: PaperTerms, market: string, exchangeSchedule: (exchangeId: string) => Fees): Fees {
  const exchangeId = terms.exchangeId ?? /^live:([a-z0-9]+)$/.exec(market)?.[1];
  if (!exchangeId) return { maker: terms.feeRate, taker: terms.feeRate };
  const { maker, taker } = exchangeSchedule(exchangeId);
  return { maker, taker };
}

/** Costs for one order: the fee schedule, the spread and what the market is like right now. */
export function paperCosts(terms: PaperTerms, fees: Fees = { maker: terms.feeRate, taker: terms.feeRate }, conditions?: MarketConditions): PaperCosts {
  return {
    makerFee: fees.maker,
    takerFee: fees.taker,
    halfSpread: terms.slippageBps / 10_000,
    maxParticipation: terms.maxParticipation ?? DEFAULT_MAX_PARTICIPATION,
    volatility: conditions?.volatility ?? 0,
    candleVolume: conditions?.candleVolume ?? 0,
  };
}

function base(req: OrderRequest) {
  return { clientOrderId: req.clientOrderId, symbol: req.symbol, side: req.side, requestedQuantity: req.quantity, deduplicated: false };
}

export function paperReject(req: OrderRequest, reason: string): OrderResult {
  return { ...base(req), status: 'rejected', filledQuantity: 0, avgPrice: 0, fee: 0, fills: [], rejectReason: reason };
}

/**
 * Fills a market order at the next tradable price worsened by the taker slippage, and charges the taker fee.
 * Without `costs` the slippage is terms.slippageBps and the fee terms.feeRate.
 */
export function paperFill(
  req: OrderRequest,
  next: { price: number; timestamp: number },
  terms: PaperTerms,
  balances: Balances,
  costs: PaperCosts = paperCosts(terms),
): OrderResult {
  if (!(req.quantity > 0) || !Number.isFinite(req.quantity)) return paperReject(req, `invalid quantity ${req.quantity}`);
  if (!(next.price > 0) || !Number.isFinite(next.price)) return paperReject(req, `no valid next price for ${req.symbol} (${next.price})`);

  let price = worsened(req.side, next.price, takerSlippage(costs, req.quantity));
  // A marketable limit order takes liquidity like a market order, but never beyond its limit.
  if (req.type === 'limit' && req.limitPrice !== undefined) price = req.side === 'buy' ? Math.min(price, req.limitPrice) : Math.max(price, req.limitPrice);
  let quantity = req.quantity;
  if (req.side === 'buy') {
    // Sized at the decision price; if the next price moved up, trim to what the cash pays for rather than fail.
    const affordable = balances.cash / (price * (1 + costs.takerFee));
    if (affordable < quantity) quantity = affordable;
    if (!(quantity > 0)) return paperReject(req, `insufficient funds: cash ${balances.cash.toFixed(2)}`);
  } else if (quantity > balances.position * (1 + 1e-9)) {
    return paperReject(req, `insufficient position: selling ${quantity} but holding ${balances.position}`);
  }
  const tooSmall = belowMinimum(req, price, quantity, terms);
  if (tooSmall) return tooSmall;
  const fee = price * quantity * costs.takerFee;
  return { ...base(req), status: 'filled', filledQuantity: quantity, avgPrice: price, fee, fills: [{ price, quantity, fee, timestamp: next.timestamp }] };
}

/**
 * Accepts a limit or stop order for resting, or says why not. Funds are checked for the whole order at placement,
 * as an exchange locks them: a buy needs quantity × limit (+ maker fee) in cash, a sell the quantity in position.
 * A stop whose trigger the next price already passed is refused, as Binance refuses "would trigger immediately".
 */
export function restingRefusal(req: OrderRequest, nextPrice: number, balances: Balances, costs: PaperCosts): string | null {
  if (!(req.quantity > 0) || !Number.isFinite(req.quantity)) return `invalid quantity ${req.quantity}`;
  if (req.type === 'limit') {
    if (!(req.limitPrice! > 0) || !Number.isFinite(req.limitPrice)) return `limit order needs a positive limitPrice, got ${req.limitPrice}`;
    if (req.side === 'buy' && req.quantity * req.limitPrice! * (1 + costs.makerFee) > balances.cash * (1 + 1e-9)) {
      return `insufficient funds: ${req.quantity} × ${req.limitPrice} needs more than cash ${balances.cash.toFixed(2)}`;
    }
  } else if (req.type === 'stop') {
    if (!(req.stopPrice! > 0) || !Number.isFinite(req.stopPrice)) return `stop order needs a positive stopPrice, got ${req.stopPrice}`;
    if (req.side === 'buy' && req.quantity * req.stopPrice! * (1 + costs.takerFee) > balances.cash * (1 + 1e-9)) {
      return `insufficient funds: ${req.quantity} × ${req.stopPrice} needs more than cash ${balances.cash.toFixed(2)}`;
    }
    if (req.side === 'sell' ? nextPrice <= req.stopPrice! : nextPrice >= req.stopPrice!) {
      return `stop price ${req.stopPrice} would trigger immediately (next price ${nextPrice})`;
    }
  } else {
    return `order type ${req.type} does not rest`;
  }
  if (req.side === 'sell' && req.quantity > balances.position * (1 + 1e-9)) {
    return `insufficient position: selling ${req.quantity} but holding ${balances.position}`;
  }
  return null;
}

/** Whether a limit order trades on arrival at `nextPrice` instead of resting. */
export function limitIsMarketable(req: OrderRequest, nextPrice: number): boolean {
  return req.type === 'limit' && req.limitPrice !== undefined && marketable(req.side, req.limitPrice, nextPrice);
}
