/** Coinbase Advanced Trade: no query by client id in ccxt, so open and recent orders are scanned. */
import { exchangeProfileOf } from './profile';

export const coinbase = exchangeProfileOf({
  id: 'coinbase',
  label: 'Coinbase Advanced Trade',
  sandboxNote: 'ccxt has no sandbox URL for Coinbase Advanced Trade',
  orders: { lagWindowMs: 15_000, duplicateClientId: 'never', lookup: 'no query by client id in ccxt: open and recently closed orders are scanned' },
  fees: { maker: 0.006, taker: 0.012 },
});
