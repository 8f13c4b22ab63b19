/**
 * A loopback emulator of OKX's v5 spot REST API (https://www.okx.com/docs-v5/en/), the second exchange family the
 * fault suite drives through ccxt's real client. Its order semantics differ from Binance's where it matters to
 * exactly-once placement:
 *
 * - every answer is HTTP 200 with a `code` envelope; a refused order is `code: "1"` with the reason in the item's
 *   `sCode`/`sMsg` (51008 insufficient balance, 51016 duplicated clOrdId, 51000 parameter error);
 * - a create is answered with an acknowledgement only (ordId, clOrdId), never the order's state or fills;
 * - clOrdId: 1-32 letters and digits; a reused one is refused only while an order with it is pending, and the
 *   order query by clOrdId returns the latest order carrying it;
 * - orders cancelled without any fill drop out of the order query after two hours (`cancelledRetentionMs`);
 * - a market buy's `sz` is in base units with `tgtCcy=base_ccy` (what ccxt sends), in quote units otherwise.
 *
 * Signed requests: OK-ACCESS-KEY, -PASSPHRASE, -TIMESTAMP (ISO, within 30 s) and -SIGN = base64(HMAC-SHA256(
 * timestamp + method + path with query + body)). Faults: tests/helpers/faultPlan.ts.
 */
import { createHmac } from 'node:crypto';
import type http from 'node:http';
import { serveExchange, type ExchangeServer } from './exchangeServer';

export interface OkxSymbol {
  /** e.g. BTC-USDT */
  instId: string;
  base: string;
  quote: string;
  price: number;
  tickSz: string;
  lotSz: string;
  minSz: string;
}

export interface OkxEmulatorOptions {
  apiKey: string;
  secret: string;
  passphrase: string;
  symbols: OkxSymbol[];
  balances: Record<string, number>;
  /** Taker fee per fill, as a fraction (default 0.001). */
  fee?: number;
  cancelledRetentionMs?: number;
}

export interface OkxOrder {
  ordId: string;
  clOrdId: string;
  instId: string;
  side: 'buy' | 'sell';
  ordType: 'market' | 'limit';
  px: number;
  sz: number;
  accFillSz: number;
  notional: number;
  fee: number;
  state: 'live' | 'partially_filled' | 'filled' | 'canceled';
  cTime: number;
  uTime: number;
  fills: { tradeId: string; px: number; sz: number; fee: number; ts: number }[];
}

export interface OkxEmulator extends ExchangeServer {
  setPrice(instId: string, price: number): void;
  orders(): OkxOrder[];
  balance(ccy: string): { avail: number; frozen: number };
  /** Ages every order by `ms` (the two-hour retention of orders cancelled without fills). */
  age(ms: number): void;
  /** Requests for endpoints the emulator does not serve (a test should expect none). */
  unknownRequests: string[];
}

class OkxError extends Error {
  constructor(readonly code: string, msg: string, readonly item?: Record<string, string>) {
    super(msg);
  }
}

const CLORDID = /^[A-Za-z0-9]{1,32}$/;
const str = (x: number) => String(Number(x.toFixed(10)));
let emulatorsStarted = 0;

export async function startOkxEmulator(options: OkxEmulatorOptions): Promise<OkxEmulator> {
  const feeRate = options.fee ?? 0.001;
  const retention = options.cancelledRetentionMs ?? 2 * 3_600_000;
  const symbols = new Map(options.symbols.map((s) => [s.instId, s]));
  const prices = new Map(options.symbols.map((s) => [s.instId, s.price]));
  const wallets = new Map<string, { avail: number; frozen: number }>();
  for (const [ccy, amount] of Object.entries(options.balances)) wallets.set(ccy, { avail: amount, frozen: 0 });
  const orders: OkxOrder[] = [];
  let nextOrd = 600_000_000 + 10_000_000 * emulatorsStarted++;
  let nextTrade = 1;
  /** How far the order query's retention clock was moved forward (age()). */
  let agedBy = 0;
  const now = () => Date.now();
  const unknownRequests: string[] = [];

  const wallet = (ccy: string) => {
    let w = wallets.get(ccy);
    if (!w) wallets.set(ccy, (w = { avail: 0, frozen: 0 }));
    return w;
  };
  const spec = (instId: string | undefined) => {
    const s = instId ? symbols.get(instId) : undefined;
    if (!s) throw new OkxError('51001', 'Instrument ID does not exist');
    return s;
  };
  const pending = (o: OkxOrder) => o.state === 'live' || o.state === 'partially_filled';

  function fill(o: OkxOrder, px: number, sz: number): void {
    const s = spec(o.instId);
    const notional = px * sz;
    const base = wallet(s.base);
    const quote = wallet(s.quote);
    let fee: number;
    if (o.side === 'buy') {
      if (o.ordType === 'market') quote.avail -= notional;
      else {
        quote.frozen -= sz * o.px;
        quote.avail += sz * o.px - notional;
      }
      fee = sz * feeRate;
      base.avail += sz - fee;
    } else {
      if (o.ordType === 'market') base.avail -= sz;
      else base.frozen -= sz;
      fee = notional * feeRate;
      quote.avail += notional - fee;
    }
    o.fills.push({ tradeId: String(nextTrade++), px, sz, fee, ts: now() });
    o.accFillSz += sz;
    o.notional += notional;
    o.fee += fee;
    o.state = o.accFillSz >= o.sz * (1 - 1e-12) ? 'filled' : 'partially_filled';
    o.uTime = now();
  }

  function orderJson(o: OkxOrder) {
    const s = spec(o.instId);
    return {
      instType: 'SPOT', instId: o.instId, ccy: '', ordId: o.ordId, clOrdId: o.clOrdId, tag: '', px: o.ordType === 'limit' ? str(o.px) : '', sz: str(o.sz),
      pnl: '0', ordType: o.ordType, side: o.side, posSide: '', tdMode: 'cash', accFillSz: str(o.accFillSz),
      fillPx: o.fills.length ? str(o.fills[o.fills.length - 1].px) : '', tradeId: o.fills.length ? o.fills[o.fills.length - 1].tradeId : '',
      fillSz: o.fills.length ? str(o.fills[o.fills.length - 1].sz) : '0', fillTime: o.fills.length ? String(o.fills[o.fills.length - 1].ts) : '',
      avgPx: o.accFillSz > 0 ? str(o.notional / o.accFillSz) : '', state: o.state, lever: '', feeCcy: o.side === 'buy' ? s.base : s.quote,
      fee: o.fee ? str(-o.fee) : '0', rebateCcy: s.quote, rebate: '0', tgtCcy: '', category: 'normal', uTime: String(o.uTime), cTime: String(o.cTime),
    };
  }

  function findOrder(q: Record<string, string>): OkxOrder {
    spec(q.instId);
    const visible = (o: OkxOrder) => o.instId === q.instId && !(o.state === 'canceled' && o.accFillSz === 0 && now() + agedBy - o.uTime > retention);
    let found: OkxOrder | undefined;
    if (q.ordId) found = orders.find((o) => o.ordId === q.ordId && visible(o));
    else if (q.clOrdId) found = [...orders].reverse().find((o) => o.clOrdId === q.clOrdId && visible(o));
    else throw new OkxError('51000', 'Parameter ordId error');
    if (!found) throw new OkxError('51603', 'Order does not exist');
    return found;
  }

  function placeOrder(b: Record<string, string>) {
    const clOrdId = b.clOrdId ?? '';
    const refuse = (sCode: string, sMsg: string): never => {
      throw new OkxError('1', 'All operations failed', { clOrdId, ordId: '', sCode, sMsg, tag: '' });
    };
    if (!CLORDID.test(clOrdId)) refuse('51000', 'Parameter clOrdId error');
    const s = symbols.get(b.instId) ?? refuse('51001', 'Instrument ID does not exist');
    if (b.tdMode !== 'cash') refuse('51000', 'Parameter tdMode error');
    if (orders.some((o) => o.clOrdId === clOrdId && pending(o))) refuse('51016', 'Duplicated clOrdId');
    const side = b.side as 'buy' | 'sell';
    const ordType = b.ordType as 'market' | 'limit';
    if ((side !== 'buy' && side !== 'sell') || (ordType !== 'market' && ordType !== 'limit')) refuse('51000', 'Parameter ordType error');
    const price = prices.get(s.instId)!;
    let sz = Number(b.sz);
    if (ordType === 'market' && side === 'buy' && b.tgtCcy !== 'base_ccy') sz /= price;
    if (!(sz >= Number(s.minSz))) refuse('51020', 'Your order should meet or exceed the minimum order amount.');
    const px = ordType === 'limit' ? Number(b.px) : 0;
    if (ordType === 'limit' && !(px > 0)) refuse('51000', 'Parameter px error');
    const base = wallet(s.base);
    const quote = wallet(s.quote);
    if (side === 'buy') {
      const needed = sz * (ordType === 'market' ? price : px);
      if (quote.avail < needed - 1e-9) refuse('51008', 'Order failed. Insufficient USDT balance in account.');
      if (ordType === 'limit') {
        quote.avail -= needed;
        quote.frozen += needed;
      }
    } else {
      if (base.avail < sz - 1e-12) refuse('51008', `Order failed. Insufficient ${s.base} balance in account.`);
      if (ordType === 'limit') {
        base.avail -= sz;
        base.frozen += sz;
      }
    }
    const t = now();
    const o: OkxOrder = { ordId: String(nextOrd++), clOrdId, instId: s.instId, side, ordType, px, sz, accFillSz: 0, notional: 0, fee: 0, state: 'live', cTime: t, uTime: t, fills: [] };
    orders.push(o);
    if (ordType === 'market' || (side === 'buy' ? price <= px : price >= px)) fill(o, price, sz);
    return [{ clOrdId, ordId: o.ordId, tag: '', ts: String(t), sCode: '0', sMsg: 'Order placed' }];
  }

  function cancelOrder(b: Record<string, string>) {
    let o: OkxOrder;
    try {
      o = findOrder(b);
    } catch {
      throw new OkxError('1', 'All operations failed', { clOrdId: b.clOrdId ?? '', ordId: b.ordId ?? '', sCode: '51400', sMsg: 'Order cancellation failed as the order has been filled, canceled or does not exist.' });
    }
    if (!pending(o)) {
      throw new OkxError('1', 'All operations failed', { clOrdId: o.clOrdId, ordId: o.ordId, sCode: '51400', sMsg: 'Order cancellation failed as the order has been filled, canceled or does not exist.' });
    }
    const s = spec(o.instId);
    const left = o.sz - o.accFillSz;
    if (o.side === 'buy') {
      wallet(s.quote).frozen -= left * o.px;
      wallet(s.quote).avail += left * o.px;
    } else {
      wallet(s.base).frozen -= left;
      wallet(s.base).avail += left;
    }
    o.state = 'canceled';
    o.uTime = now();
    return [{ clOrdId: o.clOrdId, ordId: o.ordId, sCode: '0', sMsg: '' }];
  }

  function fills(q: Record<string, string>) {
    const begin = q.begin ? Number(q.begin) : 0;
    return orders
      .filter((o) => (!q.instId || o.instId === q.instId) && (!q.ordId || o.ordId === q.ordId))
      .flatMap((o) => o.fills.map((f) => ({ o, f })))
      .filter(({ f }) => f.ts >= begin)
      .sort((a, b) => Number(b.f.tradeId) - Number(a.f.tradeId))
      .map(({ o, f }) => {
        const s = spec(o.instId);
        return {
          instType: 'SPOT', instId: o.instId, tradeId: f.tradeId, ordId: o.ordId, clOrdId: o.clOrdId, billId: `b${f.tradeId}`, tag: '', fillPx: str(f.px),
          fillSz: str(f.sz), side: o.side, posSide: 'net', execType: o.ordType === 'market' ? 'T' : 'M', feeCcy: o.side === 'buy' ? s.base : s.quote,
          fee: str(-f.fee), ts: String(f.ts), fillTime: String(f.ts),
        };
      });
  }

  function balance() {
    const t = String(now());
    return [{
      uTime: t, totalEq: '0', adjEq: '', isoEq: '0', ordFroz: '', imr: '', mmr: '', notionalUsd: '', mgnRatio: '',
      details: [...wallets].map(([ccy, w]) => ({
        ccy, eq: str(w.avail + w.frozen), cashBal: str(w.avail + w.frozen), availBal: str(w.avail), frozenBal: str(w.frozen), ordFrozen: str(w.frozen), uTime: t,
      })),
    }];
  }

  function route(method: string, path: string, q: Record<string, string>, b: Record<string, string>, batch: unknown): unknown {
    if (method === 'GET' && path === '/api/v5/public/time') return [{ ts: String(now()) }];
    if (method === 'GET' && path === '/api/v5/public/instruments') {
      if (q.instType !== 'SPOT') return [];
      return [...symbols.values()].map((s) => ({
        instType: 'SPOT', instId: s.instId, uly: '', instFamily: '', baseCcy: s.base, quoteCcy: s.quote, settleCcy: '', ctVal: '', ctMult: '', ctValCcy: '',
        optType: '', stk: '', listTime: '1606468572000', expTime: '', lever: '10', tickSz: s.tickSz, lotSz: s.lotSz, minSz: s.minSz, ctType: '',
        alias: '', state: 'live', maxLmtSz: '9999999999', maxMktSz: '1000000', maxTwapSz: '', maxIcebergSz: '', maxTriggerSz: '', maxStopSz: '',
      }));
    }
    if (method === 'GET' && path === '/api/v5/market/ticker') {
      const s = spec(q.instId);
      const last = prices.get(s.instId)!;
      return [{
        instType: 'SPOT', instId: s.instId, last: str(last), lastSz: '0.1', askPx: str(last * 1.0001), askSz: '1', bidPx: str(last * 0.9999), bidSz: '1',
        open24h: str(last), high24h: str(last), low24h: str(last), volCcy24h: str(last * 1000), vol24h: '1000', ts: String(now()), sodUtc0: str(last), sodUtc8: str(last),
      }];
    }
    if (method === 'GET' && path === '/api/v5/asset/currencies') return [];
    if (method === 'GET' && path === '/api/v5/account/balance') return balance();
    if (method === 'POST' && path === '/api/v5/trade/order') return placeOrder(b);
    // ccxt places through the batch endpoint (one order in a list): all or nothing here, one order at a time.
    if (method === 'POST' && path === '/api/v5/trade/batch-orders') return (Array.isArray(batch) ? batch : []).flatMap((entry) => placeOrder(entry));
    if (method === 'GET' && path === '/api/v5/trade/order') return [orderJson(findOrder(q))];
    if (method === 'POST' && path === '/api/v5/trade/cancel-order') return cancelOrder(b);
    if (method === 'GET' && path === '/api/v5/trade/orders-pending') return orders.filter((o) => pending(o) && (!q.instId || o.instId === q.instId)).map(orderJson);
    if (method === 'GET' && (path === '/api/v5/trade/fills-history' || path === '/api/v5/trade/fills')) return fills(q);
    unknownRequests.push(`${method} ${path}`);
    throw new OkxError('50000', `unknown endpoint ${method} ${path}`);
  }

  function authenticate(req: http.IncomingMessage, method: string, pathWithQuery: string, body: string): void {
    const h = (name: string) => String(req.headers[name] ?? '');
    if (h('ok-access-key') !== options.apiKey) throw new OkxError('50111', 'Invalid OK-ACCESS-KEY.');
    if (h('ok-access-passphrase') !== options.passphrase) throw new OkxError('50105', 'Invalid OK-ACCESS-PASSPHRASE.');
    const ts = h('ok-access-timestamp');
    if (!(Math.abs(Date.parse(ts) - Date.now()) <= 30_000)) throw new OkxError('50102', 'Timestamp request expired.');
    const expected = createHmac('sha256', options.secret).update(`${ts}${method}${pathWithQuery}${body}`).digest('base64');
    if (h('ok-access-sign') !== expected) throw new OkxError('50113', 'Invalid Sign.');
  }

  const exchange = await serveExchange({
    rateLimitBody: { code: '50011', msg: 'Rate limit reached. Please refer to API documentation and throttle requests accordingly.', data: [] },
    contentType: 'application/json',
    read: ({ req, method, url, body }) => {
      const path = url.pathname;
      const q = Object.fromEntries(url.searchParams);
      let parsed: unknown = {};
      try {
        parsed = body ? JSON.parse(body) : {};
      } catch {
        /* answered as a parameter error below */
      }
      const b = (Array.isArray(parsed) ? {} : parsed) as Record<string, string>;
      const apply = () => {
        // Every answer is HTTP 200; the envelope's code says what happened.
        try {
          if (path.startsWith('/api/v5/trade/') || path.startsWith('/api/v5/account/') || path.startsWith('/api/v5/asset/')) authenticate(req, method, `${path}${url.search}`, body);
          return { status: 200, payload: { code: '0', msg: '', data: route(method, path, q, b, parsed) } };
        } catch (err) {
          if (!(err instanceof OkxError)) throw err;
          return { status: 200, payload: { code: err.code, msg: err.message, data: err.item ? [err.item] : [] } };
        }
      };
      return { params: { ...q, ...(Array.isArray(parsed) ? parsed[0] : b) }, apply };
    },
  });
  return {
    ...exchange,
    setPrice: (instId, price) => {
      prices.set(instId, price);
      for (const o of orders) {
        if (o.instId === instId && pending(o) && o.ordType === 'limit' && (o.side === 'buy' ? price <= o.px : price >= o.px)) fill(o, o.px, o.sz - o.accFillSz);
      }
    },
    orders: () => orders.map((o) => ({ ...o, fills: [...o.fills] })),
    balance: (ccy) => ({ ...wallet(ccy) }),
    age: (ms) => {
      agedBy += ms;
    },
    unknownRequests,
  };
}
