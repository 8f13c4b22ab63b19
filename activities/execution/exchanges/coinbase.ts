/** Coinbase Advanced Trade. */
import type { ExchangeProfile } from './profile';

export const coinbase: ExchangeProfile = {
  id: 'coinbase',
  label: 'Coinbase Advanced Trade',
  sandbox: false,
  sandboxNote: 'ccxt has no sandbox URL for Coinbase Advanced Trade',
  needsPassword: false,
  spot: { adjustForTimeDifference: false },
  // No query by client id in ccxt: open and recent orders are scanned.
  clientOrderId: {},
  stops: { support: 'ccxt-features', triggerFlag: false },
  orders: {
    lagWindowMs: 15_000, duplicateClientId: 'never',
    lookup: 'no query by client id in ccxt: open and recently closed orders are scanned',
  },
  fees: { maker: 0.006, taker: 0.012 },
};
