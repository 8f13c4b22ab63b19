/**
 * Protective stops. Where the exchange has native stop orders for the market, the stop rests on the exchange and
 * fires even when this system is down: a stop-market order where available (it always fills), else a stop-limit
 * order with its limit STOP_LIMIT_BUFFER beyond the trigger (it can miss in a crash through the buffer, so the
 * workflow keeps polling it). Where there is none, the caller is told to emulate: the portfolio workflow watches
 * the candles with domain/stops.ts stopTriggered() and sells at market. The paper broker rests stops itself and
 * fires them with the same stopTriggered() rule, so paper and live stops behave alike.
 */
import type { Exchange, MarketInterface as Market } from 'ccxt';
import type { NativeStopKind } from '../../domain/contracts/execution';
import { exchangeProfile } from './exchanges';

/** How far beyond the trigger a stop-limit order's limit sits, as a fraction of the trigger. */
export const STOP_LIMIT_BUFFER = 0.01;

export type { NativeStopKind } from '../../domain/contracts/execution';

/** What the exchange offers for a stop on this market (where to read it: the exchange's profile, ./exchanges). */
export function nativeStopKind(exchange: Exchange, market: Market): NativeStopKind {
  if (exchangeProfile(exchange.id)?.stops.support === 'market-order-types') {
    // The market lists the order types it accepts (Binance's STOP_LOSS, STOP_LOSS_LIMIT).
    const types = ((market.info as { orderTypes?: string[] } | undefined)?.orderTypes ?? []) as string[];
    if (types.includes('STOP_LOSS')) return 'stop-market';
    if (types.includes('STOP_LOSS_LIMIT')) return 'stop-limit';
    return 'none';
  }
  const features = (exchange as unknown as { features?: { spot?: { createOrder?: { stopLossPrice?: boolean; triggerPrice?: boolean } } } }).features;
  const createOrder = features?.spot?.createOrder;
  const conditional = createOrder?.stopLossPrice === true || createOrder?.triggerPrice === true;
  if (conditional && exchange.has.createStopMarketOrder) return 'stop-market';
  if (conditional && exchange.has.createStopLimitOrder) return 'stop-limit';
  return 'none';
}

/** The limit price of a stop-limit order: beyond the trigger in the direction the stop trades. */
export function stopLimitPrice(side: 'buy' | 'sell', triggerPrice: number, buffer = STOP_LIMIT_BUFFER): number {
  return side === 'sell' ? triggerPrice * (1 - buffer) : triggerPrice * (1 + buffer);
}
