/**
 * What this system knows about one exchange, declared in one place, in the spirit of ccxt's `describe()` and
 * freqtrade's `_ft_has`: the ccxt options that keep an instance on the spot API, how our client order id is sent
 * and looked up, how stops are offered and seen, the order-query semantics an ambiguous create is resolved with,
 * the documented fee schedule, sandbox and credentials. One file per exchange beside this one; ./index.ts lists
 * them. Adding an exchange is one such file, its line in ./index.ts and its row in
 * tests/unit/execution/exchangeProfiles.test.ts.
 */
import type { Fees } from '../../../domain/paperBroker';

export type { Fees } from '../../../domain/paperBroker';

export interface ExchangeOrderSemantics {
  /** How long an order the exchange accepted may stay invisible to its order query, ms. */
  lagWindowMs: number;
  /** When the exchange refuses a create that reuses a client order id. */
  duplicateClientId: 'while-open' | 'never';
  /** What the lookup by client id sees (README "Ambiguous order outcomes"). */
  lookup: string;
  /**
   * How the exchange itself refuses a create as under its minimum amount or notional. A sale it refuses so is dust
   * (domain/dust.ts) even when the market metadata we hold said it was sellable (the minimum changed since): marked
   * once, not refused again every cycle. Absent: such refusals stay ordinary rejections.
   */
  belowMinimum?: RegExp;
}

export interface ExchangeProfile {
  /** ccxt's exchange id. */
  id: string;
  label: string;
  /** Whether ccxt can point this exchange at a testnet or demo environment, and why not when it cannot. */
  sandbox: boolean;
  sandboxNote?: string;
  /** Whether its API keys come with a passphrase (EXCHANGE_PASSWORD). */
  needsPassword: boolean;
  spot: {
    /** Load only these market types (no margin, futures or swap pairs). */
    marketTypes?: readonly string[];
    /** Further ccxt options, e.g. skipping signed calls a spot connector does not need. */
    options?: Readonly<Record<string, unknown>>;
    /**
     * Signed requests carry a timestamp the exchange checks against its clock: the offset is measured when markets
     * load, so a drifting worker clock does not fail every order.
     */
    adjustForTimeDifference: boolean;
  };
  clientOrderId: {
    /** The query parameter of a direct lookup by client order id; absent: open and recent orders are scanned. */
    lookupParam?: string;
    /** Our id in the form the exchange accepts (a fixed mapping, so lookups find what creates sent). */
    format?: (clientOrderId: string) => string;
  };
  stops: {
    /** Where native stop support is read: the market's own list of order types, or ccxt's description of the exchange. */
    support: 'market-order-types' | 'ccxt-features';
    /** Trigger (stop) orders are kept apart from ordinary ones and need `{ trigger: true }` to be seen or cancelled. */
    triggerFlag: boolean;
  };
  orders: ExchangeOrderSemantics;
  /** The default-tier schedule ccxt 4.5.84 describes, kept so a ccxt release that drops it does not make paper trading free. */
  fees: Fees;
}

/**
 * A profile from what sets the exchange apart; the rest is the common case: no testnet, no passphrase, no spot
 * options beyond ccxt's, no lookup by client id (open and recent orders are scanned), stops as ccxt describes them.
 */
export function exchangeProfileOf(
  profile: Pick<ExchangeProfile, 'id' | 'label' | 'orders' | 'fees'> & Partial<Omit<ExchangeProfile, 'id' | 'label' | 'orders' | 'fees'>>,
): ExchangeProfile {
  return {
    sandbox: false, needsPassword: false, spot: { adjustForTimeDifference: false }, clientOrderId: {},
    stops: { support: 'ccxt-features', triggerFlag: false }, ...profile,
  };
}
