/**
 * A loopback emulator of Binance's spot REST API, so tests drive ccxt's real request building, signing and parsing
 * against payloads shaped as https://developers.binance.com/docs/binance-spot-api-docs/rest-api documents them.
 *
 * Endpoints: GET /api/v3/time, /api/v3/exchangeInfo (PRICE_FILTER, LOT_SIZE, NOTIONAL, PERCENT_PRICE_BY_SIDE),
 * /api/v3/klines, /api/v3/ticker/24hr; signed (HMAC-SHA256 over query string + body, X-MBX-APIKEY, timestamp within
 * recvWindow): GET /api/v3/account, POST|GET|DELETE /api/v3/order, GET /api/v3/openOrders, GET /api/v3/myTrades.
 *
 * Matching: one price per symbol (setPrice / trade). MARKET orders fill at it; LIMIT orders fill at once when
 * marketable, else rest and fill at their limit when trade() prints through them, up to the printed quantity (so
 * tests can produce partial fills); STOP_LOSS and STOP_LOSS_LIMIT trigger when the price reaches stopPrice.
 * Commission is charged in the asset received (base on buys, quote on sells), as Binance does without BNB. Funds
 * of resting orders are locked; balances stay consistent through fills and cancels.
 *
 * Faults, scripted per endpoint and per call count (tests/helpers/faultPlan.ts): `drop` applies the request and then
 * closes the socket without an answer (a lost response); `status` answers an HTTP status (429 with Retry-After, 418,
 * 5xx, a lagging -2013) without applying anything, or after applying it with `apply` (Binance's -1007 "execution
 * status unknown"); `rewrite` applies it and answers something else (truncated, empty or wrong-shape JSON, balances
 * that vanish); `hook` runs a callback first (something happening on the exchange at that moment). `setLiquidity`
 * caps what a market order can fill: the rest expires, as Binance does when the book runs out (a partial fill).
 */
import { createHmac } from 'node:crypto';
import type http from 'node:http';
import type { Candle } from '../../domain/types';
import { serveExchange, type ExchangeServer } from './exchangeServer';

export type { Fault, RequestRecord } from './faultPlan';

export interface EmulatedSymbol {
  /** Binance symbol id, e.g. BTCUSDT */
  symbol: string;
  base: string;
  quote: string;
  price: number;
  tickSize: string;
  stepSize: string;
  minQty: string;
  maxQty: string;
  minNotional: string;
  /** Limit prices allowed relative to the current price (PERCENT_PRICE_BY_SIDE), default 0.2..5. */
  multiplierDown?: number;
  multiplierUp?: number;
  orderTypes?: string[];
}

export interface EmulatorOptions {
  apiKey: string;
  secret: string;
  symbols: EmulatedSymbol[];
  balances: Record<string, number>;
  /** Candles per Binance symbol id, served by /klines for any interval asked. */
  klines?: Record<string, Candle[]>;
  /** Commission per fill, as a fraction (default 0.001, Binance's 10 bps). */
  commission?: number;
  /** Put the API key a request carried into auth error messages, as some exchanges do (to test redaction). */
  echoApiKeyInErrors?: boolean;
}

export interface EmulatedTrade {
  id: number;
  orderId: number;
  price: number;
  qty: number;
  commission: number;
  commissionAsset: string;
  time: number;
  isMaker: boolean;
}

export interface EmulatedOrder {
  symbol: string;
  orderId: number;
  clientOrderId: string;
  side: 'BUY' | 'SELL';
  type: string;
  timeInForce: string;
  price: number;
  stopPrice: number;
  origQty: number;
  executedQty: number;
  cummulativeQuoteQty: number;
  status: 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';
  time: number;
  updateTime: number;
  /** Stops: false until triggered. */
  isWorking: boolean;
  trades: EmulatedTrade[];
}

export interface BinanceEmulator extends ExchangeServer {
  apiKey: string;
  secret: string;
  /** Moves the price with unlimited liquidity: crossing limit orders fill completely, stops trigger. */
  setPrice(symbol: string, price: number): void;
  /** Prints a trade of `quantity` at `price`: crossing resting orders fill (price-time priority) up to it. */
  trade(symbol: string, price: number, quantity: number): void;
  orders(): EmulatedOrder[];
  balance(asset: string): { free: number; locked: number };
  /** Changes a free balance outside trading (a deposit, a withdrawal, a manual trade elsewhere). */
  adjustBalance(asset: string, delta: number): void;
  /** Most a market order on `symbol` fills (the rest expires); undefined: unlimited. */
  setLiquidity(symbol: string, quantity: number | undefined): void;
  /** Changes the symbol's NOTIONAL filter minimum, as Binance does now and then: orders and exchangeInfo follow it. */
  setMinNotional(symbol: string, minNotional: number): void;
  /** Requests for endpoints the emulator does not serve (a test should expect none). */
  unknownRequests: string[];
}

class BinanceError extends Error {
  constructor(readonly httpStatus: number, readonly code: number, msg: string) {
    super(msg);
  }
}

const SIGNED = new Set(['/api/v3/account', '/api/v3/order', '/api/v3/openOrders', '/api/v3/myTrades']);

const fmt = (x: number) => x.toFixed(8);

function isMultiple(value: number, step: number): boolean {
  if (step === 0) return true;
  const n = value / step;
  return Math.abs(n - Math.round(n)) < 1e-8;
}

let emulatorsStarted = 0;

export async function startBinanceEmulator(options: EmulatorOptions): Promise<BinanceEmulator> {
  const commission = options.commission ?? 0.001;
  const symbols = new Map(options.symbols.map((s) => [s.symbol, s]));
  const prices = new Map(options.symbols.map((s) => [s.symbol, s.price]));
  const balances = new Map<string, { free: number; locked: number }>();
  for (const [asset, amount] of Object.entries(options.balances)) balances.set(asset, { free: amount, locked: 0 });
  const orders = new Map<number, EmulatedOrder>();
  // Unique across the emulators of one process, as a real exchange's are: tests share one database of order ids.
  let nextOrderId = 1_000 + 1_000_000 * emulatorsStarted++;
  let nextTradeId = 50_000;
  const liquidity = new Map<string, number>();
  const unknownRequests: string[] = [];

  const wallet = (asset: string) => {
    let b = balances.get(asset);
    if (!b) {
      b = { free: 0, locked: 0 };
      balances.set(asset, b);
    }
    return b;
  };
  const spec = (symbol: string | undefined): EmulatedSymbol => {
    const s = symbol ? symbols.get(symbol) : undefined;
    if (!s) throw new BinanceError(400, -1121, 'Invalid symbol.');
    return s;
  };

  // --- matching -------------------------------------------------------------------------------------------------

  function fill(order: EmulatedOrder, price: number, qty: number, isMaker: boolean): void {
    const s = spec(order.symbol);
    const base = wallet(s.base);
    const quote = wallet(s.quote);
    const notional = price * qty;
    let fee: number;
    let feeAsset: string;
    if (order.side === 'BUY') {
      if (order.type === 'MARKET') quote.free -= notional;
      else {
        // Resting buys locked quantity × limit (stop-market: × stop); the fill spends quantity × price, frees the rest.
        const lockedAt = lockPrice(order);
        quote.locked -= qty * lockedAt;
        quote.free += qty * lockedAt - notional;
      }
      fee = qty * commission;
      feeAsset = s.base;
      base.free += qty - fee;
    } else {
      if (order.type === 'MARKET') base.free -= qty;
      else base.locked -= qty;
      fee = notional * commission;
      feeAsset = s.quote;
      quote.free += notional - fee;
    }
    const now = Date.now();
    order.trades.push({ id: nextTradeId++, orderId: order.orderId, price, qty, commission: fee, commissionAsset: feeAsset, time: now, isMaker });
    order.executedQty += qty;
    order.cummulativeQuoteQty += notional;
    order.status = order.executedQty >= order.origQty * (1 - 1e-12) ? 'FILLED' : 'PARTIALLY_FILLED';
    order.updateTime = now;
  }

  function lockPrice(order: EmulatedOrder): number {
    return order.type === 'STOP_LOSS' ? order.stopPrice : order.price;
  }

  function stopTriggered(order: EmulatedOrder, price: number): boolean {
    return order.side === 'SELL' ? price <= order.stopPrice : price >= order.stopPrice;
  }

  function crosses(order: EmulatedOrder, price: number): boolean {
    return order.side === 'BUY' ? price <= order.price : price >= order.price;
  }

  function printTrade(symbol: string, price: number, quantity: number): void {
    spec(symbol);
    prices.set(symbol, price);
    let liquidity = quantity;
    const resting = [...orders.values()].filter((o) => o.symbol === symbol && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'));
    for (const order of resting.sort((a, b) => a.time - b.time || a.orderId - b.orderId)) {
      if (!order.isWorking) {
        if (!stopTriggered(order, price)) continue;
        order.isWorking = true;
        // A triggered stop-market order, or a stop-limit one that is marketable, takes liquidity at the price.
        if (order.type === 'STOP_LOSS' || crosses(order, price)) {
          fill(order, price, order.origQty - order.executedQty, false);
          continue;
        }
      }
      if (liquidity <= 0 || !crosses(order, price)) continue;
      const qty = Math.min(order.origQty - order.executedQty, liquidity);
      liquidity -= qty;
      fill(order, order.price, qty, true);
    }
  }

  // --- endpoints ------------------------------------------------------------------------------------------------

  function exchangeInfo() {
    return {
      timezone: 'UTC',
      serverTime: Date.now(),
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
      ],
      exchangeFilters: [],
      symbols: [...symbols.values()].map((s) => ({
        symbol: s.symbol,
        status: 'TRADING',
        baseAsset: s.base,
        baseAssetPrecision: 8,
        quoteAsset: s.quote,
        quotePrecision: 8,
        quoteAssetPrecision: 8,
        baseCommissionPrecision: 8,
        quoteCommissionPrecision: 8,
        orderTypes: s.orderTypes ?? ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
        icebergAllowed: true,
        ocoAllowed: true,
        otoAllowed: true,
        quoteOrderQtyMarketAllowed: true,
        allowTrailingStop: true,
        cancelReplaceAllowed: true,
        isSpotTradingAllowed: true,
        isMarginTradingAllowed: false,
        filters: [
          { filterType: 'PRICE_FILTER', minPrice: s.tickSize, maxPrice: '1000000.00000000', tickSize: s.tickSize },
          { filterType: 'LOT_SIZE', minQty: s.minQty, maxQty: s.maxQty, stepSize: s.stepSize },
          { filterType: 'ICEBERG_PARTS', limit: 10 },
          { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: s.maxQty, stepSize: '0.00000000' },
          { filterType: 'TRAILING_DELTA', minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000, minTrailingBelowDelta: 10, maxTrailingBelowDelta: 2000 },
          {
            filterType: 'PERCENT_PRICE_BY_SIDE',
            bidMultiplierUp: String(s.multiplierUp ?? 5), bidMultiplierDown: String(s.multiplierDown ?? 0.2),
            askMultiplierUp: String(s.multiplierUp ?? 5), askMultiplierDown: String(s.multiplierDown ?? 0.2), avgPriceMins: 5,
          },
          { filterType: 'NOTIONAL', minNotional: s.minNotional, applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
          { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
          { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
        ],
        permissions: [],
        permissionSets: [['SPOT']],
        defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
        allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
      })),
    };
  }

  function klines(params: Record<string, string>) {
    const s = spec(params.symbol);
    const limit = Math.min(Number(params.limit ?? 500), 1000);
    let candles = options.klines?.[s.symbol] ?? [];
    if (params.startTime) candles = candles.filter((c) => c[0] >= Number(params.startTime));
    if (params.endTime) candles = candles.filter((c) => c[0] <= Number(params.endTime));
    candles = params.startTime ? candles.slice(0, limit) : candles.slice(-limit);
    const step = candles.length > 1 ? candles[1][0] - candles[0][0] : 60_000;
    return candles.map((c) => [c[0], fmt(c[1]), fmt(c[2]), fmt(c[3]), fmt(c[4]), fmt(c[5]), c[0] + step - 1, fmt(c[4] * c[5]), 100, fmt(c[5] / 2), fmt((c[4] * c[5]) / 2), '0']);
  }

  function ticker(params: Record<string, string>) {
    const s = spec(params.symbol);
    const last = prices.get(s.symbol)!;
    const now = Date.now();
    return {
      symbol: s.symbol, priceChange: '0.00000000', priceChangePercent: '0.000', weightedAvgPrice: fmt(last), prevClosePrice: fmt(last),
      lastPrice: fmt(last), lastQty: '0.00100000', bidPrice: fmt(last * 0.9999), bidQty: '1.00000000', askPrice: fmt(last * 1.0001), askQty: '1.00000000',
      openPrice: fmt(last), highPrice: fmt(last), lowPrice: fmt(last), volume: '1000.00000000', quoteVolume: fmt(last * 1000),
      openTime: now - 86_400_000, closeTime: now, firstId: 1, lastId: 1000, count: 1000,
    };
  }

  function account() {
    return {
      makerCommission: commission * 10_000, takerCommission: commission * 10_000, buyerCommission: 0, sellerCommission: 0,
      commissionRates: { maker: fmt(commission), taker: fmt(commission), buyer: '0.00000000', seller: '0.00000000' },
      canTrade: true, canWithdraw: true, canDeposit: true, brokered: false, requireSelfTradePrevention: false, preventSor: false,
      updateTime: Date.now(), accountType: 'SPOT',
      balances: [...balances.entries()].map(([asset, b]) => ({ asset, free: fmt(b.free), locked: fmt(b.locked) })),
      permissions: ['SPOT'], uid: 354937868,
    };
  }

  function orderJson(o: EmulatedOrder) {
    return {
      symbol: o.symbol, orderId: o.orderId, orderListId: -1, clientOrderId: o.clientOrderId, price: fmt(o.price), origQty: fmt(o.origQty),
      executedQty: fmt(o.executedQty), cummulativeQuoteQty: fmt(o.cummulativeQuoteQty), status: o.status, timeInForce: o.timeInForce, type: o.type,
      side: o.side, stopPrice: fmt(o.stopPrice), icebergQty: '0.00000000', time: o.time, updateTime: o.updateTime, isWorking: o.isWorking,
      workingTime: o.isWorking ? o.time : -1, origQuoteOrderQty: '0.00000000', selfTradePreventionMode: 'EXPIRE_MAKER',
    };
  }

  function newOrderResponse(o: EmulatedOrder, respType: string) {
    const ack = { symbol: o.symbol, orderId: o.orderId, orderListId: -1, clientOrderId: o.clientOrderId, transactTime: o.time };
    if (respType === 'ACK') return ack;
    const result = {
      ...ack, price: fmt(o.price), origQty: fmt(o.origQty), executedQty: fmt(o.executedQty), origQuoteOrderQty: '0.00000000',
      cummulativeQuoteQty: fmt(o.cummulativeQuoteQty), status: o.status, timeInForce: o.timeInForce, type: o.type, side: o.side,
      workingTime: o.isWorking ? o.time : -1, selfTradePreventionMode: 'EXPIRE_MAKER',
      ...(o.type.startsWith('STOP') && { stopPrice: fmt(o.stopPrice) }),
    };
    if (respType === 'RESULT') return result;
    return {
      ...result,
      fills: o.trades.map((t) => ({ price: fmt(t.price), qty: fmt(t.qty), commission: fmt(t.commission), commissionAsset: t.commissionAsset, tradeId: t.id })),
    };
  }

  function findOrder(params: Record<string, string>): EmulatedOrder {
    spec(params.symbol);
    if (params.orderId !== undefined && !/^[0-9]{1,20}$/.test(params.orderId)) {
      throw new BinanceError(400, -1100, "Illegal characters found in parameter 'orderId'; legal range is '^[0-9]{1,20}$'.");
    }
    const byId = params.orderId !== undefined ? orders.get(Number(params.orderId)) : undefined;
    const found = byId ?? (params.origClientOrderId ? [...orders.values()].find((o) => o.clientOrderId === params.origClientOrderId && o.symbol === params.symbol) : undefined);
    if (params.orderId === undefined && params.origClientOrderId === undefined) throw new BinanceError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
    if (!found || found.symbol !== params.symbol) throw new BinanceError(400, -2013, 'Order does not exist.');
    return found;
  }

  function checkFilters(s: EmulatedSymbol, type: string, qty: number, price: number | undefined, stopPrice: number | undefined): void {
    if (!(qty >= Number(s.minQty)) || qty > Number(s.maxQty) || !isMultiple(qty, Number(s.stepSize))) throw new BinanceError(400, -1013, 'Filter failure: LOT_SIZE');
    for (const p of [price, stopPrice]) {
      if (p !== undefined && (!(p >= Number(s.tickSize)) || !isMultiple(p, Number(s.tickSize)))) throw new BinanceError(400, -1013, 'Filter failure: PRICE_FILTER');
    }
    const current = prices.get(s.symbol)!;
    if (price !== undefined && (price > current * (s.multiplierUp ?? 5) || price < current * (s.multiplierDown ?? 0.2))) {
      throw new BinanceError(400, -1013, 'Filter failure: PERCENT_PRICE_BY_SIDE');
    }
    const notionalPrice = type === 'MARKET' ? current : (price ?? stopPrice ?? current);
    if (qty * notionalPrice < Number(s.minNotional)) throw new BinanceError(400, -1013, 'Filter failure: NOTIONAL');
  }

  function newOrder(params: Record<string, string>) {
    const s = spec(params.symbol);
    const side = params.side as 'BUY' | 'SELL';
    const type = params.type;
    if (side !== 'BUY' && side !== 'SELL') throw new BinanceError(400, -1100, "Illegal characters found in parameter 'side'; legal range is 'BUY, SELL'.");
    if (!['MARKET', 'LIMIT', 'STOP_LOSS', 'STOP_LOSS_LIMIT'].includes(type)) throw new BinanceError(400, -1116, 'Invalid orderType.');
    if (params.quantity === undefined) throw new BinanceError(400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
    const qty = Number(params.quantity);
    const price = params.price !== undefined ? Number(params.price) : undefined;
    const stopPrice = params.stopPrice !== undefined ? Number(params.stopPrice) : undefined;
    if ((type === 'LIMIT' || type === 'STOP_LOSS_LIMIT') && (price === undefined || params.timeInForce === undefined)) {
      throw new BinanceError(400, -1102, "Mandatory parameter 'price' or 'timeInForce' was not sent, was empty/null, or malformed.");
    }
    if (type.startsWith('STOP') && stopPrice === undefined) throw new BinanceError(400, -1102, "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed.");
    const clientOrderId = params.newClientOrderId ?? `emu-${nextOrderId}`;
    const duplicate = [...orders.values()].some((o) => o.clientOrderId === clientOrderId && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'));
    if (duplicate) throw new BinanceError(400, -2010, 'Duplicate order sent.');
    checkFilters(s, type, qty, price, stopPrice);
    const current = prices.get(s.symbol)!;
    if (type.startsWith('STOP') && (side === 'SELL' ? current <= stopPrice! : current >= stopPrice!)) {
      throw new BinanceError(400, -2010, 'Stop price would trigger immediately.');
    }
    // Funds: market orders spend at once, the others lock what they may spend.
    const base = wallet(s.base);
    const quote = wallet(s.quote);
    const insufficient = () => new BinanceError(400, -2010, 'Account has insufficient balance for requested action.');
    if (side === 'BUY') {
      const needed = qty * (type === 'MARKET' ? current : type === 'STOP_LOSS' ? stopPrice! : price!);
      if (quote.free < needed - 1e-9) throw insufficient();
      if (type !== 'MARKET') {
        quote.free -= needed;
        quote.locked += needed;
      }
    } else {
      if (base.free < qty - 1e-12) throw insufficient();
      if (type !== 'MARKET') {
        base.free -= qty;
        base.locked += qty;
      }
    }
    const now = Date.now();
    const order: EmulatedOrder = {
      symbol: s.symbol, orderId: nextOrderId++, clientOrderId, side, type, timeInForce: params.timeInForce ?? 'GTC', price: price ?? 0,
      stopPrice: stopPrice ?? 0, origQty: qty, executedQty: 0, cummulativeQuoteQty: 0, status: 'NEW', time: now, updateTime: now,
      isWorking: !type.startsWith('STOP'), trades: [],
    };
    orders.set(order.orderId, order);
    if (type === 'MARKET') {
      const available = Math.min(qty, liquidity.get(s.symbol) ?? Infinity);
      if (available > 0) fill(order, current, available, false);
      if (order.status !== 'FILLED') {
        order.status = 'EXPIRED';
        order.updateTime = Date.now();
      }
    }
    else if (type === 'LIMIT' && crosses(order, current)) fill(order, current, qty, false);
    return newOrderResponse(order, params.newOrderRespType ?? (type === 'MARKET' || type === 'LIMIT' ? 'FULL' : 'ACK'));
  }

  function cancelOrder(params: Record<string, string>) {
    const o = findOrder(params);
    if (o.status !== 'NEW' && o.status !== 'PARTIALLY_FILLED') throw new BinanceError(400, -2011, 'Unknown order sent.');
    const s = spec(o.symbol);
    const remaining = o.origQty - o.executedQty;
    if (o.side === 'BUY') {
      wallet(s.quote).locked -= remaining * lockPrice(o);
      wallet(s.quote).free += remaining * lockPrice(o);
    } else {
      wallet(s.base).locked -= remaining;
      wallet(s.base).free += remaining;
    }
    o.status = 'CANCELED';
    o.updateTime = Date.now();
    return {
      symbol: o.symbol, origClientOrderId: o.clientOrderId, orderId: o.orderId, orderListId: -1, clientOrderId: `cancel-${o.orderId}`,
      transactTime: o.updateTime, price: fmt(o.price), origQty: fmt(o.origQty), executedQty: fmt(o.executedQty),
      cummulativeQuoteQty: fmt(o.cummulativeQuoteQty), status: o.status, timeInForce: o.timeInForce, type: o.type, side: o.side,
      selfTradePreventionMode: 'EXPIRE_MAKER',
    };
  }

  function myTrades(params: Record<string, string>) {
    const s = spec(params.symbol);
    const all = [...orders.values()].filter((o) => o.symbol === s.symbol && (params.orderId === undefined || o.orderId === Number(params.orderId)));
    return all
      .flatMap((o) => o.trades.map((t) => ({ o, t })))
      .sort((a, b) => a.t.id - b.t.id)
      .map(({ o, t }) => ({
        symbol: o.symbol, id: t.id, orderId: o.orderId, orderListId: -1, price: fmt(t.price), qty: fmt(t.qty), quoteQty: fmt(t.price * t.qty),
        commission: fmt(t.commission), commissionAsset: t.commissionAsset, time: t.time, isBuyer: o.side === 'BUY', isMaker: t.isMaker, isBestMatch: true,
      }));
  }

  function route(method: string, path: string, params: Record<string, string>): unknown {
    if (method === 'GET' && path === '/api/v3/time') return { serverTime: Date.now() };
    if (method === 'GET' && path === '/api/v3/exchangeInfo') return exchangeInfo();
    if (method === 'GET' && path === '/api/v3/klines') return klines(params);
    if (method === 'GET' && path === '/api/v3/ticker/24hr') return ticker(params);
    if (method === 'GET' && path === '/api/v3/account') return account();
    if (method === 'POST' && path === '/api/v3/order') return newOrder(params);
    if (method === 'GET' && path === '/api/v3/order') return orderJson(findOrder(params));
    if (method === 'DELETE' && path === '/api/v3/order') return cancelOrder(params);
    if (method === 'GET' && path === '/api/v3/openOrders') {
      return [...orders.values()].filter((o) => (!params.symbol || o.symbol === params.symbol) && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')).map(orderJson);
    }
    if (method === 'GET' && path === '/api/v3/myTrades') return myTrades(params);
    unknownRequests.push(`${method} ${path}`);
    throw new BinanceError(404, -1, `unknown endpoint ${method} ${path}`);
  }

  // --- signing --------------------------------------------------------------------------------------------------

  function authenticate(req: http.IncomingMessage, query: string, body: string, params: Record<string, string>): void {
    const key = req.headers['x-mbx-apikey'];
    if (key !== options.apiKey) {
      const echo = options.echoApiKeyInErrors && typeof key === 'string' ? ` (key ${key})` : '';
      throw new BinanceError(401, -2015, `Invalid API-key, IP, or permissions for action${echo}.`);
    }
    const signed = `${query}${body}`.replace(/&?signature=[0-9a-fA-F]*/, '');
    const expected = createHmac('sha256', options.secret).update(signed).digest('hex');
    if (params.signature !== expected) throw new BinanceError(400, -1022, 'Signature for this request is not valid.');
    const recvWindow = Number(params.recvWindow ?? 5000);
    if (recvWindow > 60_000) throw new BinanceError(400, -1131, 'recvWindow must be less than 60000');
    const timestamp = Number(params.timestamp);
    const now = Date.now();
    if (!Number.isFinite(timestamp)) throw new BinanceError(400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
    if (timestamp > now + 1000 || now - timestamp > recvWindow) throw new BinanceError(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
  }

  const exchange = await serveExchange({
    rateLimitBody: { code: -1003, msg: 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE.' },
    contentType: 'application/json;charset=UTF-8',
    read: ({ req, method, url, body }) => {
      const query = url.search.replace(/^\?/, '');
      const params = Object.fromEntries([...new URLSearchParams(query), ...new URLSearchParams(body)]);
      const apply = () => {
        try {
          if (SIGNED.has(url.pathname)) authenticate(req, query, body, params);
          return { status: 200, payload: route(method, url.pathname, params) };
        } catch (err) {
          if (!(err instanceof BinanceError)) throw err;
          return { status: err.httpStatus, payload: { code: err.code, msg: err.message } };
        }
      };
      return { params, apply };
    },
  });

  return {
    ...exchange,
    apiKey: options.apiKey,
    secret: options.secret,
    setMinNotional: (symbol, minNotional) => {
      const spec = symbols.get(symbol);
      if (!spec) throw new Error(`no emulated symbol ${symbol}`);
      symbols.set(symbol, { ...spec, minNotional: minNotional.toFixed(8) });
    },
    setLiquidity: (symbol, quantity) => {
      if (quantity === undefined) liquidity.delete(symbol);
      else liquidity.set(symbol, quantity);
    },
    setPrice: (symbol, price) => printTrade(symbol, price, Infinity),
    trade: printTrade,
    orders: () => [...orders.values()].map((o) => ({ ...o, trades: [...o.trades] })),
    balance: (asset) => ({ ...wallet(asset) }),
    adjustBalance: (asset, delta) => {
      wallet(asset).free += delta;
    },
    unknownRequests,
  };
}
