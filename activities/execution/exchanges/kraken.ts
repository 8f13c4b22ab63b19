/** Kraken spot: the common case (no testnet, open and closed orders scanned for our id). */
import { exchangeProfileOf } from './profile';

export const kraken = exchangeProfileOf({
  id: 'kraken',
  label: 'Kraken',
  sandboxNote: 'Kraken has no spot sandbox in ccxt',
  orders: {
    lagWindowMs: 15_000, duplicateClientId: 'while-open', lookup: 'cl_ord_id is unique among open orders only; open and closed orders are scanned',
    belowMinimum: /EOrder:(Order|Cost) minimum not met|EGeneral:Invalid arguments:volume minimum not met/,
  },
  fees: { maker: 0.0016, taker: 0.0026 },
});
