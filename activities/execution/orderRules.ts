/**
 * An order prepared for an exchange: amount and prices rounded to the market's precision, then checked against
 * its minimums and maximums before anything is sent, so the refusal comes with a reason instead of an exchange
 * error code (and costs no request weight).
 */
import type { Exchange, MarketInterface as Market } from 'ccxt';
import type { OrderRequest } from '../../domain/types';

export interface MarketLimits {
  symbol: string;
  minAmount?: number;
  maxAmount?: number;
  minCost?: number;
  maxCost?: number;
  minPrice?: number;
  maxPrice?: number;
  /** The amount step or number of decimals, as ccxt reports it, for messages. */
  amountPrecision?: number;
  pricePrecision?: number;
}

export function marketLimits(market: Market): MarketLimits {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const limits: MarketLimits = { symbol: market.symbol };
  const set = <K extends keyof MarketLimits>(key: K, value: MarketLimits[K] | undefined) => {
    if (value !== undefined) limits[key] = value;
  };
  set('minAmount', n(market.limits?.amount?.min));
  set('maxAmount', n(market.limits?.amount?.max));
  set('minCost', n(market.limits?.cost?.min));
  set('maxCost', n(market.limits?.cost?.max));
  set('minPrice', n(market.limits?.price?.min));
  set('maxPrice', n(market.limits?.price?.max));
  set('amountPrecision', n(market.precision?.amount));
  set('pricePrecision', n(market.precision?.price));
  return limits;
}

/** Why the exchange would refuse this amount at this (estimated) price, or null when it passes. */
export function limitViolation(limits: MarketLimits, amount: number, price: number, quote: string): string | null {
  const { symbol } = limits;
  if (!(amount > 0)) {
    return `${symbol} amount rounds to 0 at the market's precision (${limits.amountPrecision ?? 'unknown'})`;
  }
  if (limits.minAmount !== undefined && amount < limits.minAmount) return `${symbol} amount ${amount} is below the exchange minimum ${limits.minAmount}`;
  if (limits.maxAmount !== undefined && amount > limits.maxAmount) return `${symbol} amount ${amount} is above the exchange maximum ${limits.maxAmount}`;
  if (limits.minPrice !== undefined && limits.minPrice > 0 && price < limits.minPrice) return `${symbol} price ${price} is below the exchange minimum ${limits.minPrice}`;
  if (limits.maxPrice !== undefined && limits.maxPrice > 0 && price > limits.maxPrice) return `${symbol} price ${price} is above the exchange maximum ${limits.maxPrice}`;
  const notional = amount * price;
  if (limits.minCost !== undefined && notional < limits.minCost) {
    return `${symbol} notional ${amount} × ${price} = ${round(notional)} ${quote} is below the exchange minimum ${limits.minCost} ${quote}`;
  }
  if (limits.maxCost !== undefined && limits.maxCost > 0 && notional > limits.maxCost) {
    return `${symbol} notional ${round(notional)} ${quote} is above the exchange maximum ${limits.maxCost} ${quote}`;
  }
  return null;
}

function round(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}

export interface PreparedOrder {
  amount: number;
  /** Limit price (limit orders), rounded. */
  price?: number;
  /** Trigger price (stop orders), rounded. */
  stopPrice?: number;
}

/** `belowMinimum`: the refusal is the market's minimum amount or notional (what makes a position dust). */
export type Preparation = { ok: true; order: PreparedOrder } | { ok: false; reason: string; belowMinimum?: { notional?: number; amount?: number } };

/** The market's minimums this amount at this price does not reach, or undefined when it reaches them. */
function unmetMinimums(limits: MarketLimits, amount: number, price: number): { notional?: number; amount?: number } | undefined {
  const amountShort = !(amount > 0) || (limits.minAmount !== undefined && amount < limits.minAmount);
  const notionalShort = limits.minCost !== undefined && amount * price < limits.minCost;
  if (!amountShort && !notionalShort) return undefined;
  return {
    ...(limits.minCost !== undefined && { notional: limits.minCost }),
    ...((limits.minAmount ?? limits.amountPrecision) !== undefined && { amount: limits.minAmount ?? limits.amountPrecision }),
  };
}

function positive(value: number | undefined, what: string, req: OrderRequest): string | null {
  if (value === undefined) return `${req.type} order ${req.clientOrderId} needs a ${what}`;
  return value > 0 && Number.isFinite(value) ? null : `${req.type} order ${req.clientOrderId} has an invalid ${what}: ${value}`;
}

/** Rounds with ccxt's own precision rules (amounts truncate, prices round to the tick) and checks the limits. */
export function prepareOrder(exchange: Exchange, market: Market, req: OrderRequest): Preparation {
  const problem =
    positive(req.quantity, 'quantity', req) ??
    (req.type === 'limit' ? positive(req.limitPrice, 'limitPrice', req) : null) ??
    (req.type === 'stop' ? positive(req.stopPrice, 'stopPrice', req) : null) ??
    (req.type === 'stop' && req.limitPrice !== undefined ? positive(req.limitPrice, 'limitPrice', req) : null);
  if (problem) return { ok: false, reason: problem };
  let amount: number;
  try {
    amount = Number(exchange.amountToPrecision(req.symbol, req.quantity));
  } catch {
    // ccxt refuses an amount that truncates to nothing; say so in our words.
    amount = 0;
  }
  const order: PreparedOrder = { amount };
  // A stop may carry a limit price too: a stop-limit order, for exchanges without stop-market orders.
  if (req.limitPrice !== undefined && req.type !== 'market') order.price = Number(exchange.priceToPrecision(req.symbol, req.limitPrice));
  if (req.type === 'stop') order.stopPrice = Number(exchange.priceToPrecision(req.symbol, req.stopPrice!));
  // The notional a market order will roughly have: the price it was sized at.
  const price = order.stopPrice ?? order.price ?? req.referencePrice;
  const limits = marketLimits(market);
  const reason = limitViolation(limits, amount, price, market.quote);
  if (!reason) return { ok: true, order };
  const belowMinimum = unmetMinimums(limits, amount, price);
  return belowMinimum ? { ok: false, reason, belowMinimum } : { ok: false, reason };
}
