/**
 * Live orders are never priced on history: an order whose reference price (the price it was decided and sized at)
 * is further than EXCHANGE_PRICE_BAND from the exchange's last price is refused before anything is sent. This
 * catches a live portfolio fed replayed or simulated candles, a stale feed, or a decimal slip, whatever the config.
 */
import type { Exchange } from 'ccxt';
import type { OrderRequest } from '../../domain/types';
import { toExecutionFailure } from './exchangeErrors';

export interface BandCheck {
  lastPrice: number;
  deviation: number;
  /** Set when the order must not be sent. */
  refusal?: string;
}

export async function checkPriceBand(exchange: Exchange, req: OrderRequest, band: number): Promise<BandCheck> {
  let ticker;
  try {
    ticker = await exchange.fetchTicker(req.symbol);
  } catch (err) {
    throw toExecutionFailure(err, `${exchange.id} ticker ${req.symbol}`, exchange);
  }
  const lastPrice = Number(ticker.last ?? ticker.close ?? NaN);
  if (!(lastPrice > 0)) {
    return { lastPrice, deviation: NaN, refusal: `${exchange.id} gave no last price for ${req.symbol}: the order's price ${req.referencePrice} cannot be checked` };
  }
  const deviation = Math.abs(req.referencePrice / lastPrice - 1);
  if (!(deviation <= band)) {
    return {
      lastPrice, deviation,
      refusal: `order ${req.clientOrderId} was decided at ${req.referencePrice} but ${exchange.id} trades ${req.symbol} at ${lastPrice} ` +
        `(${(deviation * 100).toFixed(2)}% away, band ${(band * 100).toFixed(2)}%, EXCHANGE_PRICE_BAND): not sent`,
    };
  }
  return { lastPrice, deviation };
}
