/** Binance.US: Binance's API on another account and domain, without a testnet. */
import { binance } from './binance';
import type { ExchangeProfile } from './profile';

export const binanceus: ExchangeProfile = {
  ...binance,
  id: 'binanceus',
  label: 'Binance.US',
  sandbox: false,
  sandboxNote: 'Binance.US has no testnet (ccxt only inherits the URLs of the Binance.com testnet, a different account)',
  orders: { ...binance.orders, lookup: 'GET /api/v3/order?origClientOrderId, as Binance' },
};
