/**
 * Live orders through ccxt. Credentials come only from this worker's environment, never from workflow
 * input or history, and are kept out of every error message.
 *
 * Exactly-once: before creating, the order is looked up on the exchange by its deterministic client order
 * id, so a retry after a lost response returns the order that was placed instead of placing another.
 */
import type { Exchange, Order } from 'ccxt';
import { ApplicationFailure } from '@temporalio/common';
import type { OrderRequest, OrderResult, OrderStatus } from '../../domain/types';
import { loadCcxt } from '../market/loadCcxt';

export const LIVE_OPT_IN_ENV = 'TRADER_LIVE_TRADING';
export const LIVE_OPT_IN_VALUE = 'i-accept-real-money-risk';

const exchanges = new Map<string, Exchange>();

export function liveTradingEnabled(): boolean {
  return process.env[LIVE_OPT_IN_ENV] === LIVE_OPT_IN_VALUE;
}

function credentialValues(): string[] {
  return ['EXCHANGE_API_KEY', 'EXCHANGE_SECRET', 'EXCHANGE_PASSWORD'].map((k) => process.env[k] ?? '').filter((v) => v.length >= 4);
}

/** Removes any credential that an exchange library might echo back in an error. */
export function redact(text: string): string {
  return credentialValues().reduce((t, secret) => t.split(secret).join('[REDACTED]'), text);
}

export function liveExchange(exchangeId: string): Exchange {
  const ccxt = loadCcxt();
  const cached = exchanges.get(exchangeId);
  if (cached) return cached;
  const ctor = (ccxt as unknown as Record<string, new (cfg: object) => Exchange>)[exchangeId];
  if (!ctor || !(ccxt.exchanges as unknown as string[]).includes(exchangeId)) throw ApplicationFailure.nonRetryable(`unknown exchange '${exchangeId}'`, 'InvalidMarketSource');
  if (!process.env.EXCHANGE_API_KEY || !process.env.EXCHANGE_SECRET) {
    throw ApplicationFailure.nonRetryable('live trading needs EXCHANGE_API_KEY and EXCHANGE_SECRET in the execution worker environment', 'MissingCredentials');
  }
  const exchange = new ctor({
    apiKey: process.env.EXCHANGE_API_KEY,
    secret: process.env.EXCHANGE_SECRET,
    password: process.env.EXCHANGE_PASSWORD,
    enableRateLimit: true,
  });
  if (process.env.EXCHANGE_SANDBOX === 'true') exchange.setSandboxMode(true);
  exchanges.set(exchangeId, exchange);
  return exchange;
}

function toStatus(order: Order): OrderStatus {
  if (order.status === 'closed') return 'filled';
  if (order.status === 'canceled' || order.status === 'expired') return order.filled ? 'partially_filled' : 'cancelled';
  if (order.status === 'rejected') return 'rejected';
  return order.filled ? 'partially_filled' : 'open';
}

function toResult(req: OrderRequest, order: Order, deduplicated: boolean): OrderResult {
  const filled = order.filled ?? 0;
  const avgPrice = order.average ?? order.price ?? 0;
  const fee = order.fee?.cost ?? 0;
  return {
    clientOrderId: req.clientOrderId,
    symbol: req.symbol,
    side: req.side,
    status: toStatus(order),
    requestedQuantity: req.quantity,
    filledQuantity: filled,
    avgPrice,
    fee,
    fills: filled > 0 ? [{ price: avgPrice, quantity: filled, fee, timestamp: order.lastTradeTimestamp ?? order.timestamp ?? Date.now() }] : [],
    deduplicated,
  };
}

async function findByClientId(exchange: Exchange, req: OrderRequest): Promise<Order | undefined> {
  const since = Date.now() - 7 * 24 * 3_600_000;
  const lists: Order[][] = [];
  if (exchange.has.fetchOrders) lists.push(await exchange.fetchOrders(req.symbol, since));
  else {
    if (exchange.has.fetchOpenOrders) lists.push(await exchange.fetchOpenOrders(req.symbol));
    if (exchange.has.fetchClosedOrders) lists.push(await exchange.fetchClosedOrders(req.symbol, since));
  }
  return lists.flat().find((o) => o.clientOrderId === req.clientOrderId);
}

/** Maps ccxt's error hierarchy: network trouble retries, everything the exchange refused is final. */
export function mapExchangeError(err: unknown): Error {
  const ccxt = loadCcxt();
  const message = redact(err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err));
  if (err instanceof ccxt.NetworkError) return ApplicationFailure.retryable(message, 'ExchangeUnavailable');
  if (err instanceof ccxt.InsufficientFunds) return ApplicationFailure.nonRetryable(message, 'InsufficientFunds');
  if (err instanceof ccxt.InvalidOrder) return ApplicationFailure.nonRetryable(message, 'InvalidOrder');
  if (err instanceof ccxt.AuthenticationError) return ApplicationFailure.nonRetryable(message, 'AuthenticationFailed');
  if (err instanceof ccxt.BadSymbol) return ApplicationFailure.nonRetryable(message, 'UnknownSymbol');
  if (err instanceof ccxt.ExchangeError) return ApplicationFailure.nonRetryable(message, 'ExchangeRejected');
  if (err instanceof ApplicationFailure) return err;
  return ApplicationFailure.retryable(message, 'ExchangeError');
}

export async function placeLiveOrder(exchangeId: string, req: OrderRequest): Promise<OrderResult> {
  if (!liveTradingEnabled()) {
    throw ApplicationFailure.nonRetryable(`live order refused: set ${LIVE_OPT_IN_ENV}=${LIVE_OPT_IN_VALUE} on the execution worker to trade real money`, 'LiveTradingDisabled');
  }
  const exchange = liveExchange(exchangeId);
  try {
    await exchange.loadMarkets();
    const existing = await findByClientId(exchange, req);
    if (existing) return toResult(req, existing, true);
    const market = exchange.market(req.symbol);
    const amount = Number(exchange.amountToPrecision(req.symbol, req.quantity));
    const minAmount = market.limits?.amount?.min ?? 0;
    const minCost = market.limits?.cost?.min ?? 0;
    if (amount < minAmount || amount * req.referencePrice < minCost) {
      return {
        clientOrderId: req.clientOrderId, symbol: req.symbol, side: req.side, status: 'rejected', requestedQuantity: req.quantity,
        filledQuantity: 0, avgPrice: 0, fee: 0, fills: [], deduplicated: false,
        rejectReason: `below the exchange minimum (amount ${amount} < ${minAmount} or notional < ${minCost})`,
      };
    }
    const order = await exchange.createOrder(req.symbol, 'market', req.side, amount, undefined, { clientOrderId: req.clientOrderId });
    const settled = order.status === 'closed' || !exchange.has.fetchOrder ? order : await exchange.fetchOrder(String(order.id), req.symbol);
    return toResult(req, settled, false);
  } catch (err) {
    throw mapExchangeError(err);
  }
}
