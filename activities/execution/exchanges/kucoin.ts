/** KuCoin spot: a passphrase, spot markets only; its clientOid query sees active orders only, so lookups scan. */
import { exchangeProfileOf } from './profile';

export const kucoin = exchangeProfileOf({
  id: 'kucoin',
  label: 'KuCoin',
  sandboxNote: 'KuCoin closed its sandbox and ccxt has no sandbox URL for it',
  needsPassword: true,
  spot: { marketTypes: ['spot'], adjustForTimeDifference: true },
  stops: { support: 'ccxt-features', triggerFlag: true },
  orders: {
    lagWindowMs: 15_000, duplicateClientId: 'never', lookup: 'its clientOid query shows active orders only: ccxt scans open and recently closed orders',
    belowMinimum: /(Order size|The quantity) is below the minimum requirement|Order size below the minimum requirement/,
  },
  fees: { maker: 0.001, taker: 0.001 },
});
