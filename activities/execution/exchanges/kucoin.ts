/** KuCoin spot. */
import type { ExchangeProfile } from './profile';

export const kucoin: ExchangeProfile = {
  id: 'kucoin',
  label: 'KuCoin',
  sandbox: false,
  sandboxNote: 'KuCoin closed its sandbox and ccxt has no sandbox URL for it',
  needsPassword: true,
  spot: { marketTypes: ['spot'], adjustForTimeDifference: true },
  // Its clientOid query sees active orders only, so lookups scan open and recent orders instead.
  clientOrderId: {},
  stops: { support: 'ccxt-features', triggerFlag: true },
  orders: {
    lagWindowMs: 15_000, duplicateClientId: 'never',
    lookup: 'its clientOid query shows active orders only: ccxt scans open and recently closed orders',
  },
  fees: { maker: 0.001, taker: 0.001 },
};
