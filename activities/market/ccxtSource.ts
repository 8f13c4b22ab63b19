/**
 * `live:<exchange>`: public candles and prices through ccxt's unified API (no API keys needed).
 */
import type * as ccxt from 'ccxt';
import { ApplicationFailure } from '@temporalio/common';
import type { Candle } from '../../domain/types';
import { publicExchange, restOverrideFor } from '../execution/connector';
import { loadCcxt } from './loadCcxt';
import { failure } from '../../domain/failures';

type ExchangeClass = new (config: Record<string, unknown>) => ccxt.Exchange;

// ccxt's typings describe `exchanges` as a map of classes while at runtime it is the list of ids: accept both.
function exchangeIds(): readonly string[] {
  const { exchanges: ids } = loadCcxt();
  return Array.isArray(ids) ? (ids as unknown as string[]) : Object.keys(ids);
}

// One instance per exchange and process: it holds the loaded markets and the rate limiter's state.
const exchanges = new Map<string, ccxt.Exchange>();

function exchangeClass(exchangeId: string): ExchangeClass {
  if (!exchangeIds().includes(exchangeId)) {
    throw failure('InvalidMarketSource', `market 'live:${exchangeId}': '${exchangeId}' is not a ccxt exchange id (e.g. binance, kraken, coinbase)`);
  }
  return (loadCcxt() as unknown as Record<string, ExchangeClass>)[exchangeId];
}

export function liveExchange(exchangeId: string): ccxt.Exchange {
  // EXCHANGE_REST_URL (tests: a loopback exchange emulator) moves market data along with orders.
  const redirected = restOverrideFor(exchangeId);
  const key = redirected ? `${exchangeId}|${redirected.restUrl}` : exchangeId;
  let exchange = exchanges.get(key);
  if (!exchange) {
    exchange = redirected ? publicExchange(redirected) : new (exchangeClass(exchangeId))({ enableRateLimit: true });
    exchanges.set(key, exchange);
  }
  return exchange;
}

/** Maps ccxt errors onto Temporal's retry decision: transient ones retry with backoff, the rest fail for good. */
export function toMarketFailure(err: unknown, context: string): unknown {
  const ccxt = loadCcxt();
  if (err instanceof ApplicationFailure || !(err instanceof ccxt.BaseError)) return err;
  const message = `${context}: ${err.message}`;
  if (err instanceof ccxt.RateLimitExceeded || err instanceof ccxt.DDoSProtection) return failure('MarketRateLimited', message, { cause: err });
  if (err instanceof ccxt.NetworkError) return failure('MarketUnreachable', message, { cause: err });
  // Garbled or empty answers are usually a passing exchange hiccup.
  if (err instanceof ccxt.OperationFailed) return failure('MarketBadResponse', message, { cause: err });
  if (err instanceof ccxt.BadSymbol) return failure('UnknownSymbol', message, { cause: err });
  if (err instanceof ccxt.NotSupported) return failure('InvalidMarketSource', message, { cause: err });
  return failure('ExchangeError', message, { cause: err });
}

/**
 * Runs one exchange call and maps its failure. ccxt keeps a failed market load as a rejected promise and hands it
 * back on every later call, so without the reset one network blip would fail every retry of this worker.
 */
async function callExchange<T>(exchange: ccxt.Exchange, context: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (exchange.markets === undefined) (exchange as unknown as { marketsLoading?: unknown }).marketsLoading = undefined;
    throw toMarketFailure(err, context);
  }
}

function assertCapabilities(exchange: ccxt.Exchange, exchangeId: string, timeframe: string): void {
  if (!exchange.has['fetchOHLCV']) {
    throw failure('InvalidMarketSource', `market 'live:${exchangeId}': exchange has no public candles (fetchOHLCV)`);
  }
  const timeframes = exchange.timeframes as Record<string, unknown> | undefined;
  if (timeframes && Object.keys(timeframes).length > 0 && !(timeframe in timeframes)) {
    throw failure('UnsupportedTimeframe', `market 'live:${exchangeId}' has no ${timeframe} candles; it offers ${Object.keys(timeframes).join(', ')}`);
  }
}

/**
 * Most candles one fetchOHLCV call returns on the exchange's spot markets, from ccxt's `features` (Binance 1,000,
 * Coinbase 300, Kraken 720); undefined when ccxt does not say.
 */
export function candlesPerCall(exchange: ccxt.Exchange): number | undefined {
  const featureValue = (exchange as unknown as { featureValueByType?: (type: string, sub: undefined, method: string, param: string) => unknown }).featureValueByType;
  const value = featureValue?.call(exchange, 'spot', undefined, 'fetchOHLCV', 'limit');
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * The latest `limit` closed candles, oldest first: closed by now, or by `closedBy` when that is earlier (a cycle
 * reading another timeframe at its decision time). One call when the exchange serves that many at once; otherwise,
 * or for `closedBy`, paged forward with `since` (see pagedCandles).
 */
export async function fetchLiveCandles(
  exchangeId: string,
  symbol: string,
  timeframe: string,
  timeframeMs: number,
  limit: number,
  now: () => number = Date.now,
  closedBy?: number,
): Promise<Candle[]> {
  const exchange = liveExchange(exchangeId);
  assertCapabilities(exchange, exchangeId, timeframe);
  const context = `live:${exchangeId} ${symbol} ${timeframe} candles`;
  const perCall = candlesPerCall(exchange);
  let raw: ccxt.OHLCV[];
  let closedUntil: number;
  if (closedBy === undefined && (perCall === undefined || limit + 1 <= perCall)) {
    // One extra candle because the newest one is usually still open and gets dropped.
    raw = await callExchange(exchange, context, () => exchange.fetchOHLCV(symbol, timeframe, undefined, limit + 1));
    closedUntil = now();
  } else {
    closedUntil = Math.min(now(), closedBy ?? Infinity);
    raw = await pagedCandles(exchange, context, symbol, timeframe, timeframeMs, closedUntil, limit, perCall);
  }
  const candles = raw.map((c) => c.slice(0, 6) as Candle);
  while (candles.length > 0 && candles[candles.length - 1][0] + timeframeMs > closedUntil) candles.pop();
  return candles.slice(-limit);
}

/**
 * The `limit` candles closed by `closedUntil`, oldest first, in as many calls as the exchange needs: the first asks
 * `since` the oldest wanted, each next one since the candle after the newest received (ccxt's `since` paging). Stops
 * at the newest closed candle, or when a call brings nothing new (the exchange has no more, or ignores `since` and
 * served its latest candles at once).
 */
async function pagedCandles(
  exchange: ccxt.Exchange, context: string, symbol: string, timeframe: string, timeframeMs: number, closedUntil: number, limit: number,
  perCall: number | undefined,
): Promise<ccxt.OHLCV[]> {
  const newest = Math.floor(closedUntil / timeframeMs) * timeframeMs - timeframeMs;
  const out: ccxt.OHLCV[] = [];
  let since = newest - (limit - 1) * timeframeMs;
  while (since <= newest) {
    const wanted = Math.min(perCall ?? Infinity, Math.round((newest - since) / timeframeMs) + 1);
    const page = await callExchange(exchange, context, () => exchange.fetchOHLCV(symbol, timeframe, since, wanted));
    const before = out.length;
    for (const c of page) {
      const time = Number(c[0]);
      if (time >= since && (out.length === 0 || time > Number(out[out.length - 1][0]))) out.push(c);
    }
    if (out.length === before) break;
    since = Number(out[out.length - 1][0]) + timeframeMs;
  }
  return out;
}

/** Last traded price: what a market order placed now would roughly get. */
export async function fetchLivePrice(exchangeId: string, symbol: string): Promise<{ price: number; timestamp: number }> {
  const exchange = liveExchange(exchangeId);
  const ticker = await callExchange(exchange, `live:${exchangeId} ${symbol} ticker`, () => exchange.fetchTicker(symbol));
  const price = ticker.last ?? ticker.close;
  if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0) {
    throw failure('MarketBadResponse', `live:${exchangeId} ${symbol} ticker has no usable last price (${String(price)})`);
  }
  return { price, timestamp: ticker.timestamp ?? Date.now() };
}

/** Never throws: a reachability check for start-up and health reports. */
export async function probeLive(exchangeId: string, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    // A throwaway instance, so the probe's short timeout does not leak into the shared one (a redirected exchange,
    // a loopback emulator in tests, is probed through its shared instance: the deadline below still applies).
    const redirected = restOverrideFor(exchangeId);
    const exchange = redirected ? publicExchange(redirected) : new (exchangeClass(exchangeId))({ enableRateLimit: false, timeout: timeoutMs });
    const call: Promise<unknown> = exchange.has['fetchTime'] ? exchange.fetchTime() : exchange.loadMarkets();
    call.catch(() => undefined);
    // ccxt's own timeout covers the HTTP request; the race also covers a stalled DNS lookup or a slow market load.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    await Promise.race([call, deadline]);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `live:${exchangeId} unreachable: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    if (timer) clearTimeout(timer);
  }
}
