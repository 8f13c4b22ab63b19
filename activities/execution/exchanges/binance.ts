/** Binance spot (binance.com): a testnet, the spot API only, a lookup by origClientOrderId, stops listed per market. */
import { exchangeProfileOf } from './profile';

export const binance = exchangeProfileOf({
  id: 'binance',
  label: 'Binance',
  sandbox: true,
  spot: {
    // Only the spot market list (no margin pairs) and no currency list (a signed /sapi call): a connector then needs
    // nothing but the spot REST API (time, exchangeInfo, account, order, openOrders, myTrades, klines, ticker).
    marketTypes: ['spot'],
    options: { fetchMargins: false, fetchCurrencies: false, defaultType: 'spot' },
    adjustForTimeDifference: true,
  },
  clientOrderId: { lookupParam: 'origClientOrderId' },
  // Each symbol lists the order types it accepts (STOP_LOSS, STOP_LOSS_LIMIT).
  stops: { support: 'market-order-types', triggerFlag: false },
  orders: {
    lagWindowMs: 10_000, duplicateClientId: 'while-open',
    // -1013 "Filter failure: NOTIONAL" (MIN_NOTIONAL on older symbols), LOT_SIZE / MARKET_LOT_SIZE for the amount.
    belowMinimum: /Filter failure: (MIN_)?NOTIONAL\b|Filter failure: (MARKET_)?LOT_SIZE\b/,
    lookup: 'GET /api/v3/order?origClientOrderId: open and closed orders; may answer -2013 for an order just accepted',
  },
  fees: { maker: 0.001, taker: 0.001 },
});
