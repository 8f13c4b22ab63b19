/**
 * What an account holds, from the exchange (live) or from the paper broker's own record of fills (paper), for
 * reconciliation against the portfolio's book; and the dry exchange check behind `tradectl check-exchange`.
 */
import type { Balances as CcxtBalances, Exchange } from 'ccxt';
import type { AccountSnapshot, AssetBalance } from '../../domain/reconcile';
import { splitSymbol } from '../../domain/reconcile';
import { portfolioFills, unfinishedOrders } from '../persistence/orderStore';
import { ensureMarkets, privateExchange, publicExchange } from './connector';
import { describeError, mapExchangeFailure } from './exchangeErrors';
import { exchangeProfile } from './exchanges';
import { readCredentials, type ExchangeSettings } from './exchangeSettings';
import { exchangeCall } from './liveBroker';
import { loadMarkets } from './marketMetadata';
import { marketLimits, type MarketLimits } from './orderRules';
import { exchangeFeeSchedule } from './paperFees';
import { nativeStopKind, type NativeStopKind } from './protectiveStops';
import { failure } from '../../domain/failures';

/** Balances from ccxt's structure: every asset held, plus the `assets` asked for (zero when absent). */
export function balancesFrom(balance: CcxtBalances, assets: readonly string[] = []): Record<string, AssetBalance> {
  const out: Record<string, AssetBalance> = {};
  const totals = (balance.total ?? {}) as unknown as Record<string, number | undefined>;
  const free = (balance.free ?? {}) as unknown as Record<string, number | undefined>;
  const used = (balance.used ?? {}) as unknown as Record<string, number | undefined>;
  for (const asset of new Set([...Object.keys(totals), ...assets])) {
    const total = totals[asset] ?? 0;
    if (total === 0 && !assets.includes(asset)) continue;
    out[asset] = { free: free[asset] ?? total, used: used[asset] ?? 0, total };
  }
  return out;
}

export function portfolioAssets(symbols: readonly string[]): string[] {
  return [...new Set(symbols.flatMap((s) => Object.values(splitSymbol(s))))];
}

export async function liveAccountSnapshot(exchange: Exchange, symbols: readonly string[]): Promise<AccountSnapshot> {
  await loadMarkets(exchange);
  const balance = await exchangeCall(exchange, 'fetch balance', () => exchange.fetchBalance());
  const listed = Object.keys((balance.total ?? {}) as object);
  return { venue: exchange.id, asOf: balance.timestamp ?? Date.now(), balances: balancesFrom(balance, portfolioAssets(symbols)), listed };
}

/**
 * The paper account: the initial cash plus every fill the paper broker recorded for the portfolio, with what its
 * resting orders hold (a buy holds quantity × limit, a sell its quantity), as an exchange would report it.
 */
export async function paperAccountSnapshot(portfolioId: string, initialCash: number, symbols: readonly string[], asOf: number, cyclePrefix?: string): Promise<AccountSnapshot> {
  if (!(initialCash >= 0) || !Number.isFinite(initialCash)) throw failure('InvalidInput', `initialCash must be a number >= 0, got ${initialCash}`);
  const assets = portfolioAssets(symbols);
  const quotes = new Set(symbols.map((s) => splitSymbol(s).quote));
  if (quotes.size !== 1) throw failure('InvalidInput', `paper symbols must share one quote currency, got ${[...quotes].join(', ')}`);
  const [quote] = quotes;
  const totals: Record<string, number> = Object.fromEntries(assets.map((a) => [a, 0]));
  const used: Record<string, number> = Object.fromEntries(assets.map((a) => [a, 0]));
  totals[quote] = initialCash;
  for (const order of await portfolioFills(portfolioId, 'paper', undefined, cyclePrefix)) {
    const { base } = splitSymbol(order.symbol);
    for (const f of order.fills) {
      const notional = f.price * f.quantity;
      if (order.side === 'buy') {
        totals[quote] -= notional + f.fee;
        totals[base] = (totals[base] ?? 0) + f.quantity;
      } else {
        totals[quote] += notional - f.fee;
        totals[base] = (totals[base] ?? 0) - f.quantity;
      }
    }
  }
  for (const { request, result } of await unfinishedOrders(portfolioId, 'paper')) {
    const remaining = request.quantity - result.filledQuantity;
    if (request.side === 'buy') used[quote] += remaining * (request.limitPrice ?? request.stopPrice ?? request.referencePrice);
    else used[splitSymbol(request.symbol).base] = (used[splitSymbol(request.symbol).base] ?? 0) + remaining;
  }
  const balances: Record<string, AssetBalance> = {};
  for (const asset of Object.keys(totals)) balances[asset] = { total: totals[asset], used: used[asset] ?? 0, free: totals[asset] - (used[asset] ?? 0) };
  return { venue: 'paper', asOf, balances };
}

export interface MarketCheck extends MarketLimits {
  found: boolean;
  active?: boolean;
  base?: string;
  quote?: string;
  nativeStop?: NativeStopKind;
}

export interface ExchangeCheckReport {
  exchangeId: string;
  label: string;
  sandbox: boolean;
  /** Set when EXCHANGE_REST_URL points the connector elsewhere. */
  restUrl?: string;
  rateLimiter: { enabled: boolean; rateLimitMs: number };
  authenticated: boolean;
  /** Why authentication failed or could not be tried (redacted). */
  authError?: string;
  /** Non-zero balances, plus the portfolio's assets. */
  balances: Record<string, AssetBalance>;
  markets: MarketCheck[];
  fees: { maker: number; taker: number; source: 'ccxt' | 'table' };
}

/**
 * Authentication, balances and market limits, without placing, changing or cancelling anything: only market data
 * and the balance are read. Network trouble throws (retryable); a failed authentication is reported, not thrown.
 */
export async function checkExchangeAccount(settings: ExchangeSettings, symbols: readonly string[]): Promise<ExchangeCheckReport> {
  let exchange: Exchange;
  let authenticated = false;
  let authError: string | undefined;
  let balances: Record<string, AssetBalance> = {};
  try {
    exchange = privateExchange(settings, readCredentials(settings.exchangeId));
  } catch (err) {
    exchange = publicExchange(settings);
    authError = describeError(err).message;
  }
  await exchangeCall(exchange, 'load markets', () => ensureMarkets(exchange));
  if (!authError) {
    try {
      balances = balancesFrom(await exchange.fetchBalance(), portfolioAssets(symbols.filter((s) => s.includes('/'))));
      authenticated = true;
    } catch (err) {
      const mapped = mapExchangeFailure(err, `${exchange.id} fetch balance`, exchange);
      if (!mapped.refusedByExchange) throw mapped.failure;
      authError = `${mapped.failure.type}: ${mapped.failure.message}`;
    }
  }
  const markets: MarketCheck[] = symbols.map((symbol) => {
    const market = exchange.markets?.[symbol];
    if (!market || market.spot === false) return { symbol, found: false };
    return { ...marketLimits(market), found: true, active: market.active ?? undefined, base: market.base, quote: market.quote, nativeStop: nativeStopKind(exchange, market) };
  });
  return {
    exchangeId: settings.exchangeId,
    label: exchangeProfile(settings.exchangeId)!.label,
    sandbox: settings.sandbox,
    ...(settings.restUrl && { restUrl: settings.restUrl }),
    rateLimiter: { enabled: exchange.enableRateLimit === true, rateLimitMs: Number(exchange.rateLimit) },
    authenticated,
    ...(authError !== undefined && { authError }),
    balances,
    markets,
    fees: exchangeFeeSchedule(settings.exchangeId),
  };
}
