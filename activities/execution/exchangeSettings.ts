/**
 * Which exchange the execution worker trades on, and with which keys: read from this process's environment only,
 * never from workflow input, so nothing secret reaches Temporal history.
 *
 *   EXCHANGE_ID                 coinbase | binance | binanceus | kucoin | okx | kraken (default: the portfolio's
 *                               `live:<id>` market)
 *   EXCHANGE_API_KEY[_FILE]     API key, or a file holding it (Docker/Kubernetes secrets)
 *   EXCHANGE_SECRET[_FILE]      API secret (Coinbase Advanced Trade: the EC private key, PEM)
 *   EXCHANGE_PASSWORD[_FILE]    API passphrase (KuCoin, OKX)
 *   EXCHANGE_SANDBOX            true: the exchange's testnet / demo environment, refused where ccxt has none
 *   EXCHANGE_REST_URL           replaces the scheme, host and port of every REST endpoint (tests: a loopback emulator)
 *   EXCHANGE_PRICE_BAND         an order whose reference price is further than this fraction from the exchange's
 *                               last price is refused before it is sent (default 0.05: 5%)
 *   EXCHANGE_LOOKUP_WINDOW_MS   how long an ambiguous create is looked for before the account is read as evidence
 *                               (default: the exchange's own lag, activities/execution/ambiguity.ts)
 *   EXCHANGE_SNAPSHOT_RECHECK_MS  pause before a suspect or drifting balances answer is read again (default 1000)
 */
import fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { exchangeProfile, SUPPORTED_EXCHANGE_IDS } from './exchanges';
import { failure } from '../../domain/failures';
import { envValue, EnvironmentError } from '../../domain/environment';

export interface ExchangeSettings {
  exchangeId: string;
  sandbox: boolean;
  /** Origin (scheme://host:port) replacing the exchange's REST origin, or undefined for the real one. */
  restUrl?: string;
  /** Largest relative distance of an order's reference price from the exchange's last price (default DEFAULT_PRICE_BAND). */
  priceBand?: number;
  /** Overrides the exchange's order-query lag window (ms). */
  lookupWindowMs?: number;
  /** Pause before a suspect or drifting balances answer is read again (ms, default 1000). */
  snapshotRecheckMs?: number;
}

export const DEFAULT_PRICE_BAND = 0.05;

/** An exchange variable's value by the environment schema (domain/environment.ts); a bad one is InvalidConfig. */
function setting<N extends 'EXCHANGE_SANDBOX' | 'EXCHANGE_REST_URL' | 'EXCHANGE_PRICE_BAND' | 'EXCHANGE_LOOKUP_WINDOW_MS' | 'EXCHANGE_SNAPSHOT_RECHECK_MS'>(
  name: N, env: Env,
): ReturnType<typeof envValue<N>> {
  try {
    return envValue(name, env);
  } catch (err) {
    if (err instanceof EnvironmentError) throw invalidConfig(err.problems.join('; '));
    throw err;
  }
}

/**
 * API credentials. Kept out of every serialised or printed form: JSON.stringify and console.log show
 * `[REDACTED]`, so a credential cannot slip into a result, a log line or Temporal history by accident.
 */
export class Credentials {
  readonly #values: { apiKey: string; secret: string; password?: string };
  constructor(apiKey: string, secret: string, password?: string) {
    this.#values = { apiKey, secret, ...(password !== undefined && { password }) };
  }
  get apiKey(): string {
    return this.#values.apiKey;
  }
  get secret(): string {
    return this.#values.secret;
  }
  get password(): string | undefined {
    return this.#values.password;
  }
  /** Every credential value, for redaction. */
  values(): string[] {
    return [this.#values.apiKey, this.#values.secret, this.#values.password ?? ''].filter(Boolean);
  }
  toJSON(): string {
    return '[REDACTED]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Credentials [REDACTED]';
  }
}

type Env = Record<string, string | undefined>;

function invalidConfig(message: string): ApplicationFailure {
  return failure('InvalidConfig', message);
}

/**
 * The value of NAME or the contents of the file named by NAME_FILE (trailing newlines dropped). Both set is an
 * error: silently preferring one would hide a stale key. Errors name the variable and the file, never the value.
 */
export function readSecret(name: string, env: Env = process.env): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '' && file !== undefined && file !== '') {
    throw invalidConfig(`${name} and ${name}_FILE are both set: set only one of them`);
  }
  if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw invalidConfig(`${name}_FILE=${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const value = text.replace(/[\r\n]+$/, '');
    if (value.trim() === '') throw invalidConfig(`${name}_FILE=${file} is empty`);
    return value;
  }
  return direct === '' ? undefined : direct;
}

/**
 * The exchange settings from the environment. `marketExchangeId` is the exchange of the portfolio's `live:<id>`
 * market, if any: used when EXCHANGE_ID is unset, and it must agree with EXCHANGE_ID when both are set (prices from
 * one exchange and orders on another would be a configuration mistake, not a strategy).
 */
export function readExchangeSettings(marketExchangeId?: string, env: Env = process.env): ExchangeSettings {
  const configured = env.EXCHANGE_ID?.trim() || undefined;
  if (configured && marketExchangeId && configured !== marketExchangeId) {
    throw invalidConfig(`EXCHANGE_ID is '${configured}' but the portfolio's market is live:${marketExchangeId}: orders and prices must come from one exchange`);
  }
  const exchangeId = configured ?? marketExchangeId;
  if (!exchangeId) throw invalidConfig(`no exchange configured: set EXCHANGE_ID to one of ${SUPPORTED_EXCHANGE_IDS.join(', ')}`);
  const profile = exchangeProfile(exchangeId);
  if (!profile) {
    throw invalidConfig(`exchange '${exchangeId}' is not supported for trading: use one of ${SUPPORTED_EXCHANGE_IDS.join(', ')}`);
  }
  const sandbox = setting('EXCHANGE_SANDBOX', env) ?? false;
  if (sandbox && !profile.sandbox) throw invalidConfig(`EXCHANGE_SANDBOX=true but ${profile.label} has no sandbox: ${profile.sandboxNote}`);
  const restUrl = setting('EXCHANGE_REST_URL', env);
  const priceBand = setting('EXCHANGE_PRICE_BAND', env) ?? DEFAULT_PRICE_BAND;
  const lookupWindowMs = setting('EXCHANGE_LOOKUP_WINDOW_MS', env);
  const snapshotRecheckMs = setting('EXCHANGE_SNAPSHOT_RECHECK_MS', env);
  return {
    exchangeId, sandbox, ...(restUrl && { restUrl }), priceBand, ...(lookupWindowMs !== undefined && { lookupWindowMs }),
    ...(snapshotRecheckMs !== undefined && { snapshotRecheckMs }),
  };
}

/** The API credentials for `exchangeId`, or a MissingCredentials failure naming what is missing. */
export function readCredentials(exchangeId: string, env: Env = process.env): Credentials {
  const apiKey = readSecret('EXCHANGE_API_KEY', env);
  const secret = readSecret('EXCHANGE_SECRET', env);
  const password = readSecret('EXCHANGE_PASSWORD', env);
  const missing = [!apiKey && 'EXCHANGE_API_KEY', !secret && 'EXCHANGE_SECRET', exchangeProfile(exchangeId)?.needsPassword && !password && 'EXCHANGE_PASSWORD'].filter(
    (m): m is string => Boolean(m),
  );
  if (missing.length > 0) {
    throw failure('MissingCredentials', `${exchangeId} needs ${missing.map((m) => `${m} (or ${m}_FILE)`).join(', ')} in the execution worker's environment`);
  }
  return new Credentials(apiKey!, secret!, password);
}

/** Every credential value this process could be using, for redaction; never throws. */
export function configuredSecretValues(env: Env = process.env): string[] {
  const values: string[] = [];
  for (const name of ['EXCHANGE_API_KEY', 'EXCHANGE_SECRET', 'EXCHANGE_PASSWORD']) {
    if (env[name]) values.push(env[name]!);
    const file = env[`${name}_FILE`];
    if (file) {
      try {
        values.push(fs.readFileSync(file, 'utf8').replace(/[\r\n]+$/, ''));
      } catch {
        /* an unreadable file holds nothing that could leak */
      }
    }
  }
  return values;
}
