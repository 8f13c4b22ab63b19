/**
 * What this system knows about each exchange it trades on, one row per exchange: the spot options its ccxt instance
 * gets, the form of our client order id, how an order is looked up by it (and whether stops need the trigger flag),
 * native stop support, the paper fee schedule and its documented fallback, the order-query lag and duplicate-id
 * semantics, sandbox and passphrase. Written before the knowledge moved into one profile file per exchange
 * (activities/execution/exchanges/), to hold that move to today's behaviour; adding an exchange adds a row here.
 */
import type { Exchange, MarketInterface as Market, Order } from 'ccxt';
import { publicExchange, resetConnections } from '../../../activities/execution/connector';
import { readCredentials, readExchangeSettings } from '../../../activities/execution/exchangeSettings';
import { exchangeClientOrderId, findExchangeOrder } from '../../../activities/execution/orderLookup';
import { DOCUMENTED_FEES, exchangeFeeSchedule } from '../../../activities/execution/paperFees';
import { nativeStopKind } from '../../../activities/execution/protectiveStops';
import { orderSemantics } from '../../../activities/execution/ambiguity';

interface Row {
  id: string;
  spot: { types?: string[]; fetchMargins?: boolean; fetchCurrencies?: boolean; defaultType?: string; adjustForTimeDifference: boolean };
  /** Our id `pf-1a2b-cycle-3|BTC/USDT|buy` as the exchange receives it. */
  clientId: string;
  lookup: { param: string } | 'scan';
  triggerFlag: boolean;
  /** Native stops with ccxt's own description of the exchange (a Binance market lists its order types instead). */
  stops: 'stop-market' | 'stop-limit' | 'none' | 'per-market';
  fees: { maker: number; taker: number };
  lagWindowMs: number;
  duplicateClientId: 'while-open' | 'never';
  sandbox: boolean;
  needsPassword: boolean;
  /** Create refusals, as ccxt raises them, that say the order is under the exchange's minimum (a sale so refused is dust). */
  underMinimum: string[];
  /** A refusal of the same kind of call that is not about the minimum. */
  otherRefusal: string;
}

const OURS = 'pf-1a2b-cycle-3|BTC/USDT|buy';
const STRIPPED = 'pf1a2bcycle3BTCUSDTbuy';

const ROWS: Row[] = [
  {
    id: 'binance', spot: { types: ['spot'], fetchMargins: false, fetchCurrencies: false, defaultType: 'spot', adjustForTimeDifference: true },
    clientId: OURS, lookup: { param: 'origClientOrderId' }, triggerFlag: false, stops: 'per-market', fees: { maker: 0.001, taker: 0.001 },
    lagWindowMs: 10_000, duplicateClientId: 'while-open', sandbox: true, needsPassword: false,
    underMinimum: ['binance {"code":-1013,"msg":"Filter failure: NOTIONAL"}', 'binance {"code":-1013,"msg":"Filter failure: MIN_NOTIONAL"}', 'binance {"code":-1013,"msg":"Filter failure: LOT_SIZE"}'],
    otherRefusal: 'binance {"code":-1013,"msg":"Filter failure: PERCENT_PRICE_BY_SIDE"}',
  },
  {
    id: 'binanceus', spot: { types: ['spot'], fetchMargins: false, fetchCurrencies: false, defaultType: 'spot', adjustForTimeDifference: true },
    clientId: OURS, lookup: { param: 'origClientOrderId' }, triggerFlag: false, stops: 'per-market', fees: { maker: 0.001, taker: 0.001 },
    lagWindowMs: 10_000, duplicateClientId: 'while-open', sandbox: false, needsPassword: false,
    underMinimum: ['binanceus {"code":-1013,"msg":"Filter failure: NOTIONAL"}', 'binanceus {"code":-1013,"msg":"Filter failure: MIN_NOTIONAL"}', 'binanceus {"code":-1013,"msg":"Filter failure: LOT_SIZE"}'],
    otherRefusal: 'binanceus {"code":-1013,"msg":"Filter failure: PERCENT_PRICE_BY_SIDE"}',
  },
  {
    id: 'okx', spot: { types: ['spot'], adjustForTimeDifference: true },
    clientId: STRIPPED, lookup: { param: 'clOrdId' }, triggerFlag: true, stops: 'stop-market', fees: { maker: 0.001, taker: 0.0015 },
    lagWindowMs: 10_000, duplicateClientId: 'while-open', sandbox: true, needsPassword: true,
    underMinimum: ['okx {"code":"1","data":[{"clOrdId":"x","ordId":"","sCode":"51020","sMsg":"Order amount should be greater than the min available amount.","tag":""}],"msg":"All operations failed"}'],
    otherRefusal: 'okx {"code":"1","data":[{"clOrdId":"x","ordId":"","sCode":"51008","sMsg":"Order failed. Insufficient USDT balance in account.","tag":""}],"msg":"All operations failed"}',
  },
  {
    id: 'kucoin', spot: { types: ['spot'], adjustForTimeDifference: true },
    clientId: OURS, lookup: 'scan', triggerFlag: true, stops: 'stop-market', fees: { maker: 0.001, taker: 0.001 },
    lagWindowMs: 15_000, duplicateClientId: 'never', sandbox: false, needsPassword: true,
    underMinimum: ['kucoin {"code":"400100","msg":"Order size below the minimum requirement."}', 'kucoin {"code":"400100","msg":"The quantity is below the minimum requirement."}'],
    otherRefusal: 'kucoin {"code":"200004","msg":"Balance insufficient!"}',
  },
  {
    id: 'kraken', spot: { adjustForTimeDifference: false },
    clientId: OURS, lookup: 'scan', triggerFlag: false, stops: 'stop-market', fees: { maker: 0.0016, taker: 0.0026 },
    lagWindowMs: 15_000, duplicateClientId: 'while-open', sandbox: false, needsPassword: false,
    underMinimum: ['kraken {"error":["EOrder:Order minimum not met"]}', 'kraken {"error":["EOrder:Cost minimum not met"]}'],
    otherRefusal: 'kraken {"error":["EOrder:Insufficient funds"]}',
  },
  {
    id: 'coinbase', spot: { adjustForTimeDifference: false },
    clientId: OURS, lookup: 'scan', triggerFlag: false, stops: 'stop-limit', fees: { maker: 0.006, taker: 0.012 },
    lagWindowMs: 15_000, duplicateClientId: 'never', sandbox: false, needsPassword: false,
    underMinimum: [],
    otherRefusal: 'coinbase {"error":"INVALID_ARGUMENT","message":"Too small order size"}',
  },
];

/** An exchange double that records how it was asked for an order. */
function recordingExchange(real: Exchange): { exchange: Exchange; calls: { method: string; params: Record<string, unknown> }[] } {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const order = (clientOrderId: string) => ({ id: '1', clientOrderId, symbol: 'BTC/USDT' }) as unknown as Order;
  const exchange = {
    id: real.id,
    has: real.has,
    fetchOrder: async (_id: string, _symbol: string, params: Record<string, unknown> = {}) => {
      calls.push({ method: 'fetchOrder', params });
      return order(String(Object.values(params).find((v) => typeof v === 'string') ?? ''));
    },
    fetchOrders: async (_s: string, _since: number, _l: unknown, params: Record<string, unknown> = {}) => {
      calls.push({ method: 'fetchOrders', params });
      return [order(exchangeClientOrderId(real.id, OURS))];
    },
    fetchOpenOrders: async (_s: string, _since: unknown, _l: unknown, params: Record<string, unknown> = {}) => {
      calls.push({ method: 'fetchOpenOrders', params });
      return [];
    },
    fetchClosedOrders: async (_s: string, _since: number, _l: unknown, params: Record<string, unknown> = {}) => {
      calls.push({ method: 'fetchClosedOrders', params });
      return [order(exchangeClientOrderId(real.id, OURS))];
    },
  } as unknown as Exchange;
  return { exchange, calls };
}

afterAll(() => resetConnections());

describe.each(ROWS)('exchange $id', (row) => {
  const exchange = () => publicExchange({ exchangeId: row.id, sandbox: false });

  it('gets the spot options on its ccxt instance', () => {
    const options = exchange().options as Record<string, unknown>;
    const fetchMarkets = options.fetchMarkets as { types?: string[] } | undefined;
    if (row.spot.types) expect(fetchMarkets?.types).toEqual(row.spot.types);
    if (row.spot.fetchMargins !== undefined) expect(options.fetchMargins).toBe(row.spot.fetchMargins);
    if (row.spot.fetchCurrencies !== undefined) expect(options.fetchCurrencies).toBe(row.spot.fetchCurrencies);
    if (row.spot.defaultType !== undefined) expect(options.defaultType).toBe(row.spot.defaultType);
    expect(Boolean(options.adjustForTimeDifference)).toBe(row.spot.adjustForTimeDifference);
  });

  it('receives our client order id in its own form, and is asked for an order by it', async () => {
    expect(exchangeClientOrderId(row.id, OURS)).toBe(row.clientId);
    for (const type of ['market', 'stop'] as const) {
      const { exchange: fake, calls } = recordingExchange(exchange());
      const found = await findExchangeOrder(fake, { symbol: 'BTC/USDT', clientOrderId: OURS, type }, () => Date.UTC(2024, 0, 8));
      expect(found?.clientOrderId).toBe(row.clientId);
      const trigger = type === 'stop' && row.triggerFlag ? { trigger: true } : {};
      if (row.lookup === 'scan') {
        expect(calls.map((c) => c.method)).not.toContain('fetchOrder');
        for (const c of calls) expect(c.params).toEqual(trigger);
      } else {
        expect(calls).toEqual([{ method: 'fetchOrder', params: { ...trigger, [row.lookup.param]: row.clientId } }]);
      }
    }
  });

  it('says which native stops it has', () => {
    const market = (orderTypes: string[]) => ({ info: { orderTypes } }) as unknown as Market;
    if (row.stops === 'per-market') {
      expect(nativeStopKind(exchange(), market(['LIMIT', 'STOP_LOSS', 'STOP_LOSS_LIMIT']))).toBe('stop-market');
      expect(nativeStopKind(exchange(), market(['LIMIT', 'STOP_LOSS_LIMIT']))).toBe('stop-limit');
      expect(nativeStopKind(exchange(), market(['LIMIT', 'MARKET']))).toBe('none');
    } else {
      expect(nativeStopKind(exchange(), market([]))).toBe(row.stops);
    }
  });

  it('charges its fee schedule on paper, with a documented fallback', () => {
    expect(exchangeFeeSchedule(row.id)).toEqual({ ...row.fees, source: 'ccxt' });
    expect(DOCUMENTED_FEES[row.id]).toEqual(row.fees);
  });

  it('has its order-query lag window and duplicate client id semantics', () => {
    expect(orderSemantics(row.id)).toMatchObject({ lagWindowMs: row.lagWindowMs, duplicateClientId: row.duplicateClientId });
  });

  it("knows its refusal of an order under the exchange's own minimum, and nothing else, as that", () => {
    const pattern = orderSemantics(row.id).belowMinimum;
    if (row.underMinimum.length === 0) expect(pattern).toBeUndefined();
    for (const message of row.underMinimum) expect(pattern?.test(message)).toBe(true);
    expect(pattern?.test(row.otherRefusal) ?? false).toBe(false);
  });

  it('has a sandbox or says why not, and needs a passphrase or not', () => {
    const settings = () => readExchangeSettings(undefined, { EXCHANGE_ID: row.id, EXCHANGE_SANDBOX: 'true' });
    if (row.sandbox) expect(settings().sandbox).toBe(true);
    else expect(settings).toThrow(/has no sandbox: ./);
    const credentials = () => readCredentials(row.id, { EXCHANGE_API_KEY: 'k', EXCHANGE_SECRET: 's' });
    if (row.needsPassword) expect(credentials).toThrow(/EXCHANGE_PASSWORD/);
    else expect(credentials().apiKey).toBe('k');
  });
});

describe('an exchange without a profile', () => {
  it('is refused for trading, scanned for lookups and given the default lag', async () => {
    expect(() => readExchangeSettings(undefined, { EXCHANGE_ID: 'bitstamp' })).toThrow(/'bitstamp' is not supported for trading: use one of coinbase, binance, binanceus, kucoin, okx, kraken/);
    expect(exchangeClientOrderId('bitstamp', OURS)).toBe(OURS);
    expect(orderSemantics('bitstamp')).toMatchObject({ lagWindowMs: 15_000, duplicateClientId: 'never' });
  });
});
