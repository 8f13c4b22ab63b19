/**
 * The exchange's market list, validated before it is trusted. ccxt caches whatever loadMarkets got for the life of
 * the instance: one empty or truncated exchangeInfo answer would fail every later order (stop-losses too) as
 * `UnknownSymbol` until the worker restarts. So an answer with no spot market is refused as a retryable failure
 * and dropped from the cache, and a symbol missing from a cached list reloads the list once before it is refused.
 */
import type { Exchange, MarketInterface as Market } from 'ccxt';
import { recordIncident } from '../persistence/incidentStore';
import { logWarn } from './activityContext';
import { ensureMarkets } from './connector';
import { EXECUTION_FAILURES, toExecutionFailure } from './exchangeErrors';
import { failure } from '../../domain/failures';

/** A reload for a missing symbol at most this often per instance: an unknown symbol must not hammer the exchange. */
const RELOAD_EVERY_MS = 30_000;
const lastReload = new WeakMap<Exchange, number>();

type MarketCache = { markets?: unknown; markets_by_id?: unknown; marketsLoading?: unknown; symbols?: unknown; ids?: unknown };

function forget(exchange: Exchange): void {
  const cache = exchange as unknown as MarketCache;
  cache.markets = undefined;
  cache.markets_by_id = undefined;
  cache.marketsLoading = undefined;
}

/**
 * The exchange refused an order against minimums our cached list did not show: the next order reads the list afresh,
 * so its checks use the exchange's current minimums.
 */
export function marketsOutdated(exchange: Exchange): void {
  forget(exchange);
}

/** Spot markets with what an order needs (amount precision): the rest of a garbled answer is not a market. */
function usable(market: Market | undefined): market is Market {
  return market !== undefined && market.spot !== false && typeof market.base === 'string' && typeof market.quote === 'string' && market.precision?.amount !== undefined;
}

async function refuse(exchange: Exchange, detail: string): Promise<never> {
  forget(exchange);
  logWarn(`${exchange.id} market list refused: ${detail}`);
  await recordIncident({
    key: `market-metadata-refused|${exchange.id}|${Math.floor(Date.now() / 60_000)}`, kind: 'market-metadata-refused', severity: 'warning',
    venue: exchange.id, detail: `${exchange.id} market list refused (not cached, will be loaded again): ${detail}`, detectedAt: Date.now(),
  }).catch(() => undefined);
  throw failure(EXECUTION_FAILURES.badResponse, `${exchange.id} market list refused: ${detail}`);
}

/** Loads (or reuses) the market list; an implausible one is dropped and fails retryably. */
export async function loadMarkets(exchange: Exchange, reload = false): Promise<void> {
  try {
    if (reload) {
      forget(exchange);
      lastReload.set(exchange, Date.now());
    }
    await ensureMarkets(exchange);
  } catch (err) {
    forget(exchange);
    throw toExecutionFailure(err, `${exchange.id} load markets`, exchange);
  }
  const markets = Object.values((exchange.markets ?? {}) as Record<string, Market>);
  if (!markets.some(usable)) await refuse(exchange, `${markets.length} markets, none of them a usable spot market`);
}

/**
 * The spot market of `symbol`, from a list loaded and validated; a symbol the cached list lacks (or lists without
 * precision) reloads it once before it is refused (UnknownSymbol, or a retryable failure for a garbled entry).
 */
export async function tradableMarket(exchange: Exchange, symbol: string): Promise<Market> {
  await loadMarkets(exchange);
  const lookup = () => exchange.markets?.[symbol] as Market | undefined;
  if (!usable(lookup()) && Date.now() - (lastReload.get(exchange) ?? 0) >= RELOAD_EVERY_MS) await loadMarkets(exchange, true);
  const market = lookup();
  if (usable(market)) return market;
  if (market !== undefined && (market as Market).spot !== false) await refuse(exchange, `${symbol} is listed without its precision`);
  throw failure(EXECUTION_FAILURES.unknownSymbol, `${exchange.id} has no spot market ${symbol}`);
}
