/** Kraken spot. */
import type { ExchangeProfile } from './profile';

export const kraken: ExchangeProfile = {
  id: 'kraken',
  label: 'Kraken',
  sandbox: false,
  sandboxNote: 'Kraken has no spot sandbox in ccxt',
  needsPassword: false,
  spot: { adjustForTimeDifference: false },
  clientOrderId: {},
  stops: { support: 'ccxt-features', triggerFlag: false },
  orders: {
    lagWindowMs: 15_000, duplicateClientId: 'while-open',
    lookup: 'cl_ord_id is unique among open orders only; open and closed orders are scanned',
  },
  fees: { maker: 0.0016, taker: 0.0026 },
};
