/** OKX spot: a passphrase and a demo account; our client id without separators; stops as algo orders. */
import { exchangeProfileOf } from './profile';

export const okx = exchangeProfileOf({
  id: 'okx',
  label: 'OKX',
  sandbox: true,
  needsPassword: true,
  spot: { marketTypes: ['spot'], adjustForTimeDifference: true },
  // clOrdId takes 1-32 letters and digits only: our separators are dropped.
  clientOrderId: { lookupParam: 'clOrdId', format: (id) => id.replace(/[^A-Za-z0-9]/g, '') },
  // Algo orders (our stops) are queried and cancelled with the trigger flag.
  stops: { support: 'ccxt-features', triggerFlag: true },
  orders: {
    lagWindowMs: 10_000, duplicateClientId: 'while-open',
    // sCode 51020 "Order amount should be greater than the min available amount".
    belowMinimum: /"sCode":"51020"|min available amount/,
    lookup: 'GET /api/v5/trade/order?clOrdId: the latest order with that id; orders cancelled without fills drop out after 2 hours',
  },
  fees: { maker: 0.001, taker: 0.0015 },
});
