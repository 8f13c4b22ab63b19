/**
 * The pure rules under execution: stops, the paper market model, reconciliation, lifecycle helpers, fills from
 * exchange trades, exchange limits, redaction, configuration from the environment and the error mapping.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Exchange, Order, Trade } from 'ccxt';
import { ApplicationFailure } from '@temporalio/common';
import { pointRestApiAt, privateExchange } from '../../../activities/execution/connector';
import { mapExchangeFailure } from '../../../activities/execution/exchangeErrors';
import { Credentials, readCredentials, readExchangeSettings, readSecret } from '../../../activities/execution/exchangeSettings';
import { cumulativeFill, ledgerFill, toOrderStatus, tradeToFill } from '../../../activities/execution/liveFills';
import { limitViolation } from '../../../activities/execution/orderRules';
import { paperFill } from '../../../domain/paperBroker';
import { REDACTED, redactValues } from '../../../activities/execution/redaction';
import { loadCcxt } from '../../../activities/market/loadCcxt';
import { applyFill, newBook } from '../../../domain/ledger';
import { restingStatus, summarizeFills, unappliedFills } from '../../../domain/orderLifecycle';
import { MAX_SLIPPAGE, marketConditions, matchCandle, matchCandles, takerSlippage, type PaperCosts } from '../../../domain/paperMatching';
import { reconcile } from '../../../domain/reconcile';
import { firstStopTrigger, stopTriggered } from '../../../domain/stops';
import type { Candle, OrderRequest, OrderResult } from '../../../domain/types';

const T = Date.UTC(2024, 0, 1);
const candle = (open: number, high: number, low: number, close: number, volume = 100, t = T): Candle => [t, open, high, low, close, volume];

describe('stopTriggered', () => {
  const sell = { side: 'sell' as const, triggerPrice: 95 };
  it('fires a sell stop when the candle trades at or below the trigger, at the trigger', () => {
    expect(stopTriggered(sell, candle(100, 101, 96, 97))).toEqual({ triggered: false });
    expect(stopTriggered(sell, candle(100, 101, 95, 97))).toEqual({ triggered: true, price: 95, timestamp: T });
    expect(stopTriggered(sell, candle(100, 101, 90, 97))).toEqual({ triggered: true, price: 95, timestamp: T });
  });
  it('gets only the open when the candle gaps through the trigger', () => {
    expect(stopTriggered(sell, candle(92, 94, 90, 93))).toEqual({ triggered: true, price: 92, timestamp: T });
    expect(stopTriggered({ side: 'buy', triggerPrice: 105 }, candle(108, 110, 107, 109))).toEqual({ triggered: true, price: 108, timestamp: T });
  });
  it('fires a buy stop when the price rises to it', () => {
    expect(stopTriggered({ side: 'buy', triggerPrice: 105 }, candle(100, 104.9, 99, 104))).toEqual({ triggered: false });
    expect(stopTriggered({ side: 'buy', triggerPrice: 105 }, candle(100, 106, 99, 104))).toMatchObject({ triggered: true, price: 105 });
  });
  it('finds the first firing candle and refuses a bad trigger', () => {
    const candles = [candle(100, 101, 99, 100, 1, T), candle(100, 100, 94, 96, 1, T + 1), candle(96, 97, 90, 91, 1, T + 2)];
    expect(firstStopTrigger(sell, candles)).toEqual({ triggered: true, price: 95, timestamp: T + 1 });
    expect(() => stopTriggered({ side: 'sell', triggerPrice: 0 }, candles[0])).toThrow('stop trigger price must be a positive number, got 0');
  });
});

describe('the paper market model', () => {
  const costs: PaperCosts = { makerFee: 0.001, takerFee: 0.002, halfSpread: 0.0005, maxParticipation: 0.1, volatility: 0.01, candleVolume: 400 };

  it('slippage = half-spread + volatility × sqrt(quantity / volume), capped', () => {
    expect(takerSlippage(costs, 4)).toBeCloseTo(0.0005 + 0.01 * 0.1, 12);
    expect(takerSlippage({ ...costs, volatility: 0 }, 4)).toBe(0.0005);
    expect(takerSlippage({ ...costs, candleVolume: 0 }, 4)).toBe(0.0005);
    expect(takerSlippage({ ...costs, volatility: 1 }, 400)).toBe(MAX_SLIPPAGE);
  });

  it('market conditions: standard deviation of log returns and the mean volume', () => {
    const closes = [100, 110, 99, 108.9];
    const candles = closes.map((c, i) => candle(c, c, c, c, 10 * (i + 1), T + i));
    const returns = [Math.log(1.1), Math.log(0.9), Math.log(1.1)];
    const mean = returns.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / 2);
    expect(marketConditions(candles).volatility).toBeCloseTo(sd, 12);
    expect(marketConditions(candles).candleVolume).toBeCloseTo((20 + 30 + 40) / 3, 12);
    expect(marketConditions(candles.slice(0, 1))).toEqual({ volatility: 0, candleVolume: 0 });
  });

  it('a resting limit fills at its price, on the share of the range beyond it, capped by participation', () => {
    const order = { side: 'buy' as const, type: 'limit' as const, quantity: 10, filledQuantity: 0, limitPrice: 98 };
    // Range 96..100: half of it is below 98, so half the volume traded there; the order takes 10% of that.
    expect(matchCandle(order, candle(100, 100, 96, 99, 100), costs)).toEqual({ price: 98, quantity: 5, fee: 98 * 5 * 0.001, timestamp: T });
    expect(matchCandle(order, candle(100, 100, 98, 99, 100), costs)).toBeNull(); // touched: the queue ahead takes it
    expect(matchCandle({ ...order, quantity: 2 }, candle(100, 100, 96, 99, 100), costs)?.quantity).toBe(2);
    const sellOrder = { side: 'sell' as const, type: 'limit' as const, quantity: 10, filledQuantity: 0, limitPrice: 102 };
    expect(matchCandle(sellOrder, candle(100, 104, 100, 103, 100), costs)).toMatchObject({ price: 102, quantity: 5 });
  });

  it('fills a big order over several candles and stops when it is complete', () => {
    const order = { side: 'buy' as const, type: 'limit' as const, quantity: 12, filledQuantity: 0, limitPrice: 98 };
    const candles = [0, 1, 2, 3].map((i) => candle(100, 100, 96, 99, 100, T + i));
    const fills = matchCandles(order, candles, costs);
    expect(fills.map((f) => f.quantity)).toEqual([5, 5, 2]);
    expect(summarizeFills(fills)).toEqual({ filledQuantity: 12, avgPrice: 98, fee: 12 * 98 * 0.001 });
  });

  it('a fired paper stop sells everything left at the trigger less slippage, with the taker fee', () => {
    const stop = { side: 'sell' as const, type: 'stop' as const, quantity: 4, filledQuantity: 1, stopPrice: 95 };
    const fill = matchCandle(stop, candle(100, 100, 94, 95, 400), costs)!;
    const price = 95 * (1 - (0.0005 + 0.01 * Math.sqrt(3 / 400)));
    expect(fill.quantity).toBe(3);
    expect(fill.price).toBeCloseTo(price, 10);
    expect(fill.fee).toBeCloseTo(price * 3 * 0.002, 10);
  });

  it('paperFill without market conditions keeps the flat slippage and fee', () => {
    const req: OrderRequest = { clientOrderId: 'tt-x', portfolioId: 'p', cycleId: 'c', symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 1, referencePrice: 100 };
    expect(paperFill(req, { price: 100, timestamp: T }, { feeRate: 0.001, slippageBps: 10 }, { cash: 1_000, position: 0 })).toMatchObject({ avgPrice: 100.1, fee: 0.1001 });
  });
});

describe('reconcile', () => {
  const book = { ...newBook(1_000, T), positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 0.5, avgPrice: 50_000 } } };
  const snapshot = (balances: Record<string, number>) => ({
    venue: 'binance', asOf: T, balances: Object.fromEntries(Object.entries(balances).map(([a, total]) => [a, { free: total, used: 0, total }])),
  });
  const symbols = ['BTC/USDT', 'ETH/USDT'];

  it('is in sync when the account matches within rounding', () => {
    expect(reconcile(book, snapshot({ USDT: 1_000 + 1e-10, BTC: 0.5, ETH: 0 }), { symbols })).toEqual({ inSync: true, drifts: [], corrected: book });
  });

  it('reports drift per asset and corrects cash, quantities, new and vanished positions', () => {
    const result = reconcile(book, snapshot({ USDT: 990, ETH: 2 }), { symbols, prices: { 'ETH/USDT': 3_000 } });
    expect(result.inSync).toBe(false);
    expect(result.drifts).toEqual([
      { asset: 'USDT', book: 1_000, account: 990, drift: -10 },
      { asset: 'BTC', symbol: 'BTC/USDT', book: 0.5, account: 0, drift: -0.5 },
      { asset: 'ETH', symbol: 'ETH/USDT', book: 0, account: 2, drift: 2 },
    ]);
    expect(result.corrected.cash).toBe(990);
    expect(result.corrected.positions).toEqual({ 'ETH/USDT': { symbol: 'ETH/USDT', quantity: 2, avgPrice: 3_000 } });
    expect(book.positions['BTC/USDT'].quantity).toBe(0.5); // the input is not mutated
  });

  it('refuses symbols it cannot tell apart', () => {
    expect(() => reconcile(book, snapshot({}), { symbols: ['BTC/USDT', 'ETH/BTC'] })).toThrow('symbols must share one quote currency to reconcile, got USDT, BTC');
    expect(() => reconcile(book, snapshot({}), { symbols: ['BTC/USDT', 'BTC/USDT'] })).toThrow(/share the base asset BTC/);
  });
});

describe('lifecycle helpers', () => {
  const order = { clientOrderId: 'tt-1', fills: [{ price: 1, quantity: 1, fee: 0, timestamp: 1 }, { price: 2, quantity: 1, fee: 0, timestamp: 2 }] } as OrderResult;
  it('unapplied fills are those after the ones the caller applied', () => {
    expect(unappliedFills(order, 1)).toEqual([order.fills[1]]);
    expect(unappliedFills(order, 2)).toEqual([]);
    expect(() => unappliedFills(order, 3)).toThrow('order tt-1 has 2 fills, fewer than the 3 already applied');
    expect(() => unappliedFills(order, -1)).toThrow('knownFillCount must be a whole number >= 0, got -1');
  });
  it('resting status from the filled amount', () => {
    expect([restingStatus(1, 0), restingStatus(1, 0.4), restingStatus(1, 1 - 1e-12)]).toEqual(['open', 'partially_filled', 'filled']);
  });
});

describe('fills from exchange trades', () => {
  const assets = { base: 'BTC', quote: 'USDT' };
  it('keeps the book equal to the account whatever asset the fee is charged in', () => {
    const start = { ...newBook(10_000, T), positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: 1, avgPrice: 100 } } };
    // Buy 0.1 at 1000, fee 0.0001 BTC: the account gets 0.0999 BTC and pays 100 USDT.
    const buy = ledgerFill('buy', 1_000, 0.1, [{ cost: 0.0001, currency: 'BTC' }], T, assets);
    const afterBuy = applyFill(start, 'BTC/USDT', 'buy', buy);
    expect(afterBuy.cash).toBeCloseTo(10_000 - 100, 10);
    expect(afterBuy.positions['BTC/USDT'].quantity).toBeCloseTo(1.0999, 12);
    // Sell 0.5 at 1000 with the fee in USDT: the account gets 500 - 0.5.
    const sell = ledgerFill('sell', 1_000, 0.5, [{ cost: 0.5, currency: 'USDT' }], T, assets);
    const afterSell = applyFill(afterBuy, 'BTC/USDT', 'sell', sell);
    expect(afterSell.cash).toBeCloseTo(9_900 + 499.5, 10);
    // A sell charged in BTC leaves the account short of the fee in BTC, nothing in USDT.
    expect(ledgerFill('sell', 1_000, 0.5, [{ cost: 0.0005, currency: 'BTC' }], T, assets)).toEqual({ price: 1_000, quantity: 0.5005, fee: 0.5, timestamp: T });
    // A fee in a third asset is outside the book.
    expect(ledgerFill('buy', 1_000, 0.1, [{ cost: 0.01, currency: 'BNB' }], T, assets)).toEqual({ price: 1_000, quantity: 0.1, fee: 0, timestamp: T });
  });

  it('converts a ccxt trade and an order status', () => {
    const trade = { price: 100, amount: 2, timestamp: T, fee: { cost: 0.2, currency: 'USDT' } } as unknown as Trade;
    expect(tradeToFill(trade, 'buy', assets)).toEqual({ price: 100, quantity: 2, fee: 0.2, timestamp: T });
    const order = (status: string, filled: number) => ({ status, filled }) as unknown as Order;
    expect(['closed', 'canceled', 'expired', 'rejected'].map((s) => toOrderStatus(order(s, 0), 1))).toEqual(['filled', 'cancelled', 'expired', 'rejected']);
    expect([toOrderStatus(order('open', 0), 1), toOrderStatus(order('open', 0.5), 1)]).toEqual(['open', 'partially_filled']);
  });

  it('derives a fill from the growth of an order when trades cannot be listed', () => {
    const order = { filled: 3, cost: 330, fee: { cost: 0.33, currency: 'USDT' } } as unknown as Order;
    // Known: 1 at 100 (notional 100); new: 2 more for 230, so at 115, with 2/3 of the fee.
    expect(cumulativeFill(order, 'buy', 1, 100, assets, T)).toEqual({ price: 115, quantity: 2, fee: 0.22, timestamp: T });
    expect(cumulativeFill(order, 'buy', 3, 330, assets, T)).toBeNull();
  });
});

describe('exchange limits', () => {
  const limits = { symbol: 'BTC/USDT', minAmount: 0.001, maxAmount: 100, minCost: 10, amountPrecision: 0.001 };
  it('names the limit an order breaks', () => {
    expect(limitViolation(limits, 0.01, 50_000, 'USDT')).toBeNull();
    expect(limitViolation(limits, 0.0005, 50_000, 'USDT')).toBe('BTC/USDT amount 0.0005 is below the exchange minimum 0.001');
    expect(limitViolation(limits, 200, 50_000, 'USDT')).toBe('BTC/USDT amount 200 is above the exchange maximum 100');
    expect(limitViolation(limits, 0.001, 5_000, 'USDT')).toBe('BTC/USDT notional 0.001 × 5000 = 5 USDT is below the exchange minimum 10 USDT');
    expect(limitViolation(limits, 0, 5_000, 'USDT')).toBe("BTC/USDT amount rounds to 0 at the market's precision (0.001)");
  });
});

describe('redaction', () => {
  it('removes secrets in the forms they travel in, whole and line by line', () => {
    const pem = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIGlRHi0w6Lzt3ZRnG4h0cLxA8Gc0xK4fW9pY2m0d3OfoAoGCCqGSM49\n-----END EC PRIVATE KEY-----';
    const key = 'abc/def+ghi=jklmnop';
    const text = [
      `raw ${key}`, `url ${encodeURIComponent(key)}`, `json ${JSON.stringify({ secret: pem })}`,
      'line MHcCAQEEIIGlRHi0w6Lzt3ZRnG4h0cLxA8Gc0xK4fW9pY2m0d3OfoAoGCCqGSM49 alone',
    ].join('\n');
    const out = redactValues(text, [key, pem]);
    expect(out).not.toContain(key);
    expect(out).not.toContain(encodeURIComponent(key));
    expect(out).not.toContain('MHcCAQEEIIGlRHi0w6Lzt3ZRnG4h0cLxA8Gc0xK4fW9pY2m0d3OfoAoGCCqGSM49');
    expect(out.split(REDACTED).length - 1).toBe(4);
    expect(redactValues('short abc stays', ['abc'])).toBe('short abc stays');
  });
  it('credentials never serialise or print', () => {
    const c = new Credentials('key-123456', 'secret-123456', 'pass-123456');
    expect(JSON.stringify({ c })).toBe('{"c":"[REDACTED]"}');
    expect(require('node:util').inspect(c)).toBe('Credentials [REDACTED]');
    expect(c.values()).toEqual(['key-123456', 'secret-123456', 'pass-123456']);
  });
});

describe('configuration from the environment', () => {
  it('chooses the exchange, sandbox and REST override, with clear refusals', () => {
    expect(readExchangeSettings(undefined, { EXCHANGE_ID: 'kraken' })).toEqual({ exchangeId: 'kraken', sandbox: false, priceBand: 0.05 });
    expect(readExchangeSettings('binance', { EXCHANGE_SANDBOX: 'true', EXCHANGE_REST_URL: 'http://127.0.0.1:9/', EXCHANGE_PRICE_BAND: '0.02', EXCHANGE_LOOKUP_WINDOW_MS: '5000' })).toEqual({
      exchangeId: 'binance', sandbox: true, restUrl: 'http://127.0.0.1:9', priceBand: 0.02, lookupWindowMs: 5000,
    });
    const refusal = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return [(err as ApplicationFailure).type, (err as Error).message];
      }
      return undefined;
    };
    expect(refusal(() => readExchangeSettings(undefined, {}))).toEqual(['InvalidConfig', 'no exchange configured: set EXCHANGE_ID to one of coinbase, binance, binanceus, kucoin, okx, kraken']);
    expect(refusal(() => readExchangeSettings(undefined, { EXCHANGE_ID: 'bybit' }))?.[1]).toBe("exchange 'bybit' is not supported for trading: use one of coinbase, binance, binanceus, kucoin, okx, kraken");
    expect(refusal(() => readExchangeSettings('binance', { EXCHANGE_ID: 'kraken' }))?.[1]).toBe("EXCHANGE_ID is 'kraken' but the portfolio's market is live:binance: orders and prices must come from one exchange");
    expect(refusal(() => readExchangeSettings('kraken', { EXCHANGE_SANDBOX: '1' }))?.[1]).toBe('EXCHANGE_SANDBOX=true but Kraken has no sandbox: Kraken has no spot sandbox in ccxt');
    expect(refusal(() => readExchangeSettings('binance', { EXCHANGE_SANDBOX: 'maybe' }))?.[1]).toBe("EXCHANGE_SANDBOX must be true or false, got 'maybe'");
    expect(refusal(() => readExchangeSettings('binance', { EXCHANGE_REST_URL: 'http://h:1/api' }))?.[1]).toMatch(/^EXCHANGE_REST_URL must be only scheme:\/\/host\[:port\]/);
  });

  it('reads keys from variables or files, and names what is missing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secret-file-'));
    const file = path.join(dir, 'secret');
    fs.writeFileSync(file, 'top-secret-value\r\n');
    expect(readSecret('EXCHANGE_SECRET', { EXCHANGE_SECRET_FILE: file })).toBe('top-secret-value');
    expect(() => readSecret('EXCHANGE_SECRET', { EXCHANGE_SECRET_FILE: path.join(dir, 'missing') })).toThrow(`EXCHANGE_SECRET_FILE=${path.join(dir, 'missing')} cannot be read (ENOENT)`);
    expect(() => readCredentials('okx', { EXCHANGE_API_KEY: 'k-123456', EXCHANGE_SECRET: 's-123456' })).toThrow(
      "okx needs EXCHANGE_PASSWORD (or EXCHANGE_PASSWORD_FILE) in the execution worker's environment",
    );
    expect(readCredentials('okx', { EXCHANGE_API_KEY: 'k-123456', EXCHANGE_SECRET: 's-123456', EXCHANGE_PASSWORD: 'p-123456' }).password).toBe('p-123456');
  });

  it('sandbox mode and the REST override move every REST endpoint', () => {
    const creds = new Credentials('key-123456', 'secret-123456');
    const testnet = privateExchange({ exchangeId: 'binance', sandbox: true }, creds);
    expect((testnet.urls.api as Record<string, string>).public).toBe('https://testnet.binance.vision/api/v3');
    const local = privateExchange({ exchangeId: 'binance', sandbox: false, restUrl: 'http://127.0.0.1:1234' }, creds);
    expect((local.urls.api as Record<string, string>).private).toBe('http://127.0.0.1:1234/api/v3');
    expect(local.enableRateLimit).toBe(true);
    expect(pointRestApiAt({ rest: 'https://{hostname}', nested: { v: 'https://api.x.com/v5' }, doc: 'not a url' }, 'http://h:1')).toEqual({
      rest: 'http://h:1', nested: { v: 'http://h:1/v5' }, doc: 'not a url',
    });
  });
});

describe('ccxt errors onto retry decisions', () => {
  const ccxt = loadCcxt();
  type ErrorClass = new (m: string) => Error;
  // Several ccxt classes map onto one failure type: each type is listed once, with the classes that become it.
  const retryable: Record<string, ErrorClass[]> = {
    ExchangeUnavailable: [ccxt.NetworkError, ccxt.RequestTimeout, ccxt.ExchangeNotAvailable],
    ExchangeRateLimited: [ccxt.RateLimitExceeded, ccxt.DDoSProtection],
    ExchangeBadResponse: [ccxt.BadResponse],
  };
  const final: Record<string, ErrorClass[]> = {
    InsufficientFunds: [ccxt.InsufficientFunds],
    InvalidOrder: [ccxt.InvalidOrder],
    UnknownSymbol: [ccxt.BadSymbol],
    AuthenticationFailed: [ccxt.AuthenticationError, ccxt.PermissionDenied],
    NotSupported: [ccxt.NotSupported],
    ExchangeRejected: [ccxt.ExchangeError],
  };
  const cases = ([[retryable, false], [final, true]] as const).flatMap(([byType, nonRetryable]) =>
    Object.entries(byType).flatMap(([type, classes]) => classes.map((cls) => [cls, type, nonRetryable] as const)));
  it.each(cases.map(([cls, type, final]) => [cls.name, type, final, cls] as const))('%s → %s (non-retryable: %s)', (_name, type, final, cls) => {
    const { failure, refusedByExchange } = mapExchangeFailure(new cls('binance said no'), 'binance create order tt-1');
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect([failure.type, failure.nonRetryable, refusedByExchange]).toEqual([type, final, final]);
    expect(failure.message).toMatch(/^binance create order tt-1: \w+: binance said no$/);
  });
  it('honours a Retry-After header, within bounds', () => {
    const exchange = { last_response_headers: { 'Retry-After': '120' } } as unknown as Exchange;
    expect(mapExchangeFailure(new ccxt.RateLimitExceeded('slow down'), 'x', exchange).failure.nextRetryDelay).toBe(60_000);
  });
});
