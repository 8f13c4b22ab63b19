/**
 * ccxt exchange instances for trading: one per exchange, environment and key set in this process, because an
 * instance holds the loaded markets and the rate limiter's state (ccxt's limiter is always on here).
 *
 * Spot only: each instance gets the options its exchange's profile declares (./exchanges), e.g. Binance loads only
 * the spot market list and skips the signed currency list.
 */
import { createHash } from 'node:crypto';
import type { Exchange } from 'ccxt';
import { loadCcxt } from '../market/loadCcxt';
import { exchangeProfile } from './exchanges';
import { readCredentials, readExchangeSettings, type Credentials, type ExchangeSettings } from './exchangeSettings';
import { rememberSecrets } from './redaction';
import { failure } from '../../domain/failures';

type ExchangeClass = new (config: Record<string, unknown>) => Exchange;

const instances = new Map<string, Exchange>();

/** ccxt options that keep an instance on the spot API, as the exchange's profile declares them (./exchanges). */
function spotOptions(exchange: Exchange): void {
  const spot = exchangeProfile(exchange.id)?.spot;
  if (!spot) return;
  const options = exchange.options as Record<string, unknown>;
  if (spot.marketTypes) options.fetchMarkets = { ...((options.fetchMarkets ?? {}) as Record<string, unknown>), types: [...spot.marketTypes] };
  Object.assign(options, spot.options);
  if (spot.adjustForTimeDifference) options.adjustForTimeDifference = true;
}

/** Rewrites the origin of every REST URL (nested or not, placeholders included) to `origin`, keeping the paths. */
export function pointRestApiAt(urls: unknown, origin: string): unknown {
  if (typeof urls === 'string') return /^https?:\/\//.test(urls) ? urls.replace(/^https?:\/\/[^/]+/, origin) : urls;
  if (urls && typeof urls === 'object') {
    return Object.fromEntries(Object.entries(urls as Record<string, unknown>).map(([k, v]) => [k, pointRestApiAt(v, origin)]));
  }
  return urls;
}

function exchangeClass(exchangeId: string): ExchangeClass {
  const ctor = (loadCcxt() as unknown as Record<string, ExchangeClass | undefined>)[exchangeId];
  if (typeof ctor !== 'function') throw failure('InvalidConfig', `ccxt has no exchange '${exchangeId}'`);
  return ctor;
}

function configure(exchange: Exchange, settings: ExchangeSettings): Exchange {
  spotOptions(exchange);
  // Sandbox first: it swaps the URL set, which the REST override then points elsewhere.
  if (settings.sandbox) exchange.setSandboxMode(true);
  if (settings.restUrl) {
    const urls = exchange.urls as Record<string, unknown>;
    urls.api = pointRestApiAt(urls.api, settings.restUrl);
  }
  return exchange;
}

/**
 * Settings for public market data of `exchangeId` when EXCHANGE_REST_URL redirects it (and EXCHANGE_ID, if set,
 * names the same exchange); undefined otherwise, and for exchanges this module does not trade on.
 */
export function restOverrideFor(exchangeId: string, env: Record<string, string | undefined> = process.env): ExchangeSettings | undefined {
  if (!env.EXCHANGE_REST_URL || (env.EXCHANGE_ID && env.EXCHANGE_ID !== exchangeId) || !exchangeProfile(exchangeId)) return undefined;
  // Redirected market data comes from the given URL whatever the sandbox setting, which only concerns orders.
  return { ...readExchangeSettings(exchangeId, env), sandbox: false };
}

/** A public (no keys) instance with the same settings, for market data through the same endpoints. */
export function publicExchange(settings: ExchangeSettings): Exchange {
  const key = `public|${settings.exchangeId}|${settings.sandbox}|${settings.restUrl ?? ''}`;
  let exchange = instances.get(key);
  if (!exchange) {
    exchange = configure(new (exchangeClass(settings.exchangeId))({ enableRateLimit: true }), settings);
    instances.set(key, exchange);
  }
  return exchange;
}

export function privateExchange(settings: ExchangeSettings, credentials: Credentials): Exchange {
  // Keyed by a digest of the keys, so rotated keys get a fresh instance; the digest never leaves this map.
  const digest = createHash('sha256').update(credentials.values().join('\n')).digest('hex').slice(0, 16);
  const key = `private|${settings.exchangeId}|${settings.sandbox}|${settings.restUrl ?? ''}|${digest}`;
  let exchange = instances.get(key);
  if (!exchange) {
    rememberSecrets(credentials.values());
    exchange = configure(
      new (exchangeClass(settings.exchangeId))({
        apiKey: credentials.apiKey,
        secret: credentials.secret,
        ...(credentials.password !== undefined && { password: credentials.password }),
        enableRateLimit: true,
      }),
      settings,
    );
    instances.set(key, exchange);
  }
  return exchange;
}

export interface Connection {
  settings: ExchangeSettings;
  exchange: Exchange;
}

/** The trading connection the environment configures (see exchangeSettings.ts). */
export function connect(marketExchangeId?: string): Connection {
  const settings = readExchangeSettings(marketExchangeId);
  return { settings, exchange: privateExchange(settings, readCredentials(settings.exchangeId)) };
}

/**
 * Loads markets once per instance. ccxt keeps a failed load as a rejected promise and hands it back on every later
 * call, so after a failure the promise is dropped and the next attempt loads again.
 */
export async function ensureMarkets(exchange: Exchange): Promise<void> {
  try {
    await exchange.loadMarkets();
  } catch (err) {
    if (exchange.markets === undefined) (exchange as unknown as { marketsLoading?: unknown }).marketsLoading = undefined;
    throw err;
  }
}

/** Forgets every instance (tests point the environment somewhere else between cases). */
export function resetConnections(): void {
  instances.clear();
}
