/**
 * The chaos property shared by `npm test` (tests/unit/execution/chaos.test.ts, 200 schedules) and the soak
 * (`npm run chaos`, scripts/chaos.ts): fast-check generates fault schedules (which faults, on which request, how
 * many times, on which exchange family, with or without a worker kill at the nth request), each runs real orders
 * through the execution activities and ccxt's real clients against the loopback emulators, Temporal's retries
 * played by a loop (a killed attempt is abandoned, as Temporal abandons a dead worker's activity), and then:
 *
 * - every client order id is on the exchange at most once;
 * - every exchange order is in the database with the same status, filled quantity and fills;
 * - the book the fills make equals the exchange's balances, and reconciliation during the faults never adopted a
 *   bad snapshot;
 * - nothing is left stuck (`submitted` or `unknown`) once the exchange recovers; no exit was skipped.
 */
import fc from 'fast-check';
import { ApplicationFailure } from '@temporalio/common';
import { placeOrder, pollOrder, reconcileAccount, type PlaceOrderInput } from '../../activities/execution';
import { connect, resetConnections } from '../../activities/execution/connector';
import { exchangeClientOrderId } from '../../activities/execution/orderLookup';
import { LIVE_OPT_IN_ENV, LIVE_OPT_IN_VALUE } from '../../activities/execution/liveBroker';
import { findOrder } from '../../activities/persistence/orderStore';
import { applyFill, newBook } from '../../domain/ledger';
import type { OrderRequest, OrderResult, PortfolioBook } from '../../domain/types';
import { startBinanceEmulator } from '../helpers/binanceEmulator';
import { API_KEY, API_SECRET, BTCUSDT, clearExchangeEnv } from '../helpers/executionEnv';
import { faults, type Fault } from '../helpers/faultPlan';
import { startOkxEmulator } from '../helpers/okxEmulator';

export type Family = 'binance' | 'okx';
export const FAULT_KINDS = [
  'lost-create', 'status-unknown', 'wrong-shape-create', 'truncated-create', 'empty-create', 'lag-lookup', 'rate-limit-create', 'banned-create',
  'server-error-create', 'server-error-lookup', 'vanishing-balances', 'empty-markets', 'truncated-markets', 'trades-down', 'ticker-error',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultStep { kind: FaultKind; nth: number; times: number }
export interface OrderStep { side: 'buy' | 'sell'; type: 'market' | 'limit'; quantity: number; thinBook: boolean }
export interface Schedule {
  family: Family;
  orders: OrderStep[];
  faults: FaultStep[];
  kill?: { afterRequests: number; applyFirst: boolean };
}

export const scheduleArbitrary: fc.Arbitrary<Schedule> = fc.record({
  family: fc.constantFrom<Family>('binance', 'okx'),
  orders: fc.array(
    fc.record({
      side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
      type: fc.constantFrom<'market' | 'limit'>('market', 'market', 'limit'),
      quantity: fc.integer({ min: 1, max: 40 }).map((n) => n / 1000),
      thinBook: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  faults: fc.array(fc.record({ kind: fc.constantFrom(...FAULT_KINDS), nth: fc.integer({ min: 1, max: 4 }), times: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 4 }),
  kill: fc.option(fc.record({ afterRequests: fc.integer({ min: 1, max: 14 }), applyFirst: fc.boolean() }), { nil: undefined }),
});

/** Counts over every schedule run, for the one-line summaries. */
export interface ChaosCounts {
  schedules: number;
  faultsInjected: number;
  kills: number;
  orders: number;
  duplicates: number;
  invariantBreaks: number;
  resolvedAmbiguities: number;
  byFamily: Record<Family, number>;
}

export function emptyCounts(): ChaosCounts {
  return { schedules: 0, faultsInjected: 0, kills: 0, orders: 0, duplicates: 0, invariantBreaks: 0, resolvedAmbiguities: 0, byFamily: { binance: 0, okx: 0 } };
}

interface Venue {
  family: Family;
  url: string;
  inject(f: Fault): void;
  clearFaults(): void;
  faultsFired(): number;
  armKill(n: number, applyFirst: boolean): void;
  disarmKill(): void;
  kills(): number;
  setLiquidity?(quantity: number | undefined): void;
  setPrice(price: number): void;
  /** Exchange orders: our client id in the exchange's form, status in our words, filled, fill count. */
  orders(): { clientId: string; status: string; filled: number; fills: number }[];
  balances(): { base: number; quote: number };
  close(): Promise<void>;
  env: Record<string, string>;
  paths: { create: string; lookup: string; trades: string; account: string; markets: string; ticker: string };
  lagging: Fault['body'];
  lagStatus: number;
}

const OKX_KEYS = { apiKey: 'okx-chaos-key-7c1e', secret: 'okx-chaos-secret-2b9f4e1a', passphrase: 'okx-chaos-pass' };
const BINANCE_STATUS: Record<string, string> = { NEW: 'open', PARTIALLY_FILLED: 'partially_filled', FILLED: 'filled', CANCELED: 'cancelled', EXPIRED: 'expired' };
const OKX_STATUS: Record<string, string> = { live: 'open', partially_filled: 'partially_filled', filled: 'filled', canceled: 'cancelled' };
export const START = { quote: 100_000, base: 1, price: 50_000 };

async function openVenue(family: Family): Promise<Venue> {
  if (family === 'binance') {
    const emu = await startBinanceEmulator({ apiKey: API_KEY, secret: API_SECRET, symbols: [BTCUSDT], balances: { USDT: START.quote, BTC: START.base } });
    return {
      family, url: emu.url, inject: (f) => emu.inject(f), clearFaults: () => emu.clearFaults(), faultsFired: () => emu.faultsFired(),
      armKill: (n, a) => emu.armKill(n, a), disarmKill: () => emu.disarmKill(), kills: () => emu.kills(),
      setLiquidity: (q) => emu.setLiquidity('BTCUSDT', q), setPrice: (p) => emu.setPrice('BTCUSDT', p),
      orders: () => emu.orders().map((o) => ({ clientId: o.clientOrderId, status: BINANCE_STATUS[o.status], filled: o.executedQty, fills: o.trades.length })),
      balances: () => ({ base: emu.balance('BTC').free + emu.balance('BTC').locked, quote: emu.balance('USDT').free + emu.balance('USDT').locked }),
      close: () => emu.close(),
      env: { EXCHANGE_ID: 'binance', EXCHANGE_API_KEY: API_KEY, EXCHANGE_SECRET: API_SECRET },
      paths: { create: '/api/v3/order', lookup: '/api/v3/order', trades: '/api/v3/myTrades', account: '/api/v3/account', markets: '/api/v3/exchangeInfo', ticker: '/api/v3/ticker/24hr' },
      lagging: { code: -2013, msg: 'Order does not exist.' }, lagStatus: 400,
    };
  }
  const emu = await startOkxEmulator({
    ...OKX_KEYS, balances: { USDT: START.quote, BTC: START.base },
    symbols: [{ instId: 'BTC-USDT', base: 'BTC', quote: 'USDT', price: START.price, tickSz: '0.1', lotSz: '0.00000001', minSz: '0.00001' }],
  });
  return {
    family, url: emu.url, inject: (f) => emu.inject(f), clearFaults: () => emu.clearFaults(), faultsFired: () => emu.faultsFired(),
    armKill: (n, a) => emu.armKill(n, a), disarmKill: () => emu.disarmKill(), kills: () => emu.kills(), setPrice: (p) => emu.setPrice('BTC-USDT', p),
    orders: () => emu.orders().map((o) => ({ clientId: o.clOrdId, status: OKX_STATUS[o.state], filled: o.accFillSz, fills: o.fills.length })),
    balances: () => ({ base: emu.balance('BTC').avail + emu.balance('BTC').frozen, quote: emu.balance('USDT').avail + emu.balance('USDT').frozen }),
    close: () => emu.close(),
    env: { EXCHANGE_ID: 'okx', EXCHANGE_API_KEY: OKX_KEYS.apiKey, EXCHANGE_SECRET: OKX_KEYS.secret, EXCHANGE_PASSWORD: OKX_KEYS.passphrase },
    paths: {
      create: '/api/v5/trade/batch-orders', lookup: '/api/v5/trade/order', trades: '/api/v5/trade/fills-history', account: '/api/v5/account/balance',
      markets: '/api/v5/public/instruments', ticker: '/api/v5/market/ticker',
    },
    lagging: { code: '51603', msg: 'Order does not exist', data: [] }, lagStatus: 200,
  };
}

/** The concrete fault of a step on a venue. */
function concreteFault(v: Venue, step: FaultStep): Fault {
  const { nth } = step;
  const times = step.kind === 'truncated-markets' ? 1 : step.times;
  const p = v.paths;
  const create = v.family === 'binance' ? 'POST' : 'POST';
  switch (step.kind) {
    case 'lost-create': return { ...faults.lostAnswer(create, p.create, nth), times };
    case 'status-unknown':
      return v.family === 'binance'
        ? { ...faults.statusUnknown(create, p.create, nth), times }
        : { method: create, path: p.create, nth, times, kind: 'status', apply: true, status: 200, body: { code: '50001', msg: 'Service temporarily unavailable, please try again later.', data: [] } };
    case 'wrong-shape-create': return { ...faults.wrongShape(create, p.create, nth), times };
    case 'truncated-create': return { ...faults.truncated(create, p.create, nth), times };
    case 'empty-create': return { ...faults.empty(create, p.create, nth), times };
    case 'lag-lookup': return { method: 'GET', path: p.lookup, nth, times, kind: 'status', status: v.lagStatus, body: v.lagging };
    case 'rate-limit-create': return { ...faults.rateLimited(create, p.create, nth, 1), times };
    case 'banned-create': return { ...faults.banned(create, p.create, nth, 1), times };
    case 'server-error-create': return { ...faults.serverError(create, p.create, nth, 503), times };
    case 'server-error-lookup': return { ...faults.serverError('GET', p.lookup, nth, 502), times };
    case 'trades-down': return { ...faults.serverError('GET', p.trades, nth, 503), times };
    case 'ticker-error': return { ...faults.serverError('GET', p.ticker, nth, 504), times };
    case 'vanishing-balances':
      return {
        method: 'GET', path: p.account, nth, times, kind: 'rewrite',
        rewrite: (x) => (v.family === 'binance' ? { ...(x as object), balances: [] } : { code: '0', msg: '', data: [{ uTime: String(Date.now()), details: [] }] }),
      };
    case 'empty-markets':
      return { method: 'GET', path: p.markets, nth, times, kind: 'rewrite', rewrite: (x) => (v.family === 'binance' ? { ...(x as object), symbols: [] } : { code: '0', msg: '', data: [] }) };
    case 'truncated-markets':
      // The list comes back without the traded symbol (a truncated answer that still parses).
      return { method: 'GET', path: p.markets, nth, times, kind: 'rewrite', rewrite: (x) => (v.family === 'binance' ? { ...(x as object), symbols: [] } : { code: '0', msg: '', data: [] }) };
  }
}

/** A new process's ccxt instance: a killed attempt keeps its old one, hung. */
function freshInstance(): void {
  resetConnections();
  const exchange = connect().exchange;
  exchange.timeout = 3_600_000;
  // Loopback: ccxt's pacing between requests would only make the soak slow (the limiter is on in production).
  exchange.enableRateLimit = false;
}

/** How long a retry loop may go on before the order counts as stuck (Temporal: 10 attempts over 10 minutes). */
const MAX_ATTEMPTS = 10;
let attemptSeq = 0;

/** One activity call as Temporal would run it: retried on retryable failures, abandoned when its worker is killed. */
async function asTemporal<T>(v: Venue, call: () => Promise<T>): Promise<{ value?: T; error?: unknown; attempts: number }> {
  let killsSeen = v.kills();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    // Each attempt's requests are tagged, so a kill silences that attempt only (its awaits never return, as in a
    // dead process). The ccxt instance is shared (building one costs more than a schedule's requests) until a kill:
    // the dead attempt may hold its pending market load, so the next process starts with a new one.
    if (v.kills() > killsSeen) freshInstance();
    killsSeen = v.kills();
    connect().exchange.headers = { 'x-chaos-attempt': `a${++attemptSeq}` };
    const killsBefore = v.kills();
    let settled = false;
    const run = call().then((value) => ({ value }), (error: unknown) => ({ error })).finally(() => {
      settled = true;
    });
    const killed = (async () => {
      while (!settled && v.kills() === killsBefore) await new Promise((r) => setTimeout(r, 3));
      return { killed: v.kills() > killsBefore };
    })();
    const outcome = await Promise.race([run, killed]);
    if ('killed' in outcome) {
      if (outcome.killed) continue; // the worker died: Temporal schedules a new attempt after the timeout
      const done = await run;
      if ('value' in done) return { value: done.value, attempts: attempt };
      if (done.error instanceof ApplicationFailure && !done.error.nonRetryable) continue;
      return { error: done.error, attempts: attempt };
    }
    if ('value' in outcome) return { value: outcome.value, attempts: attempt };
    if (outcome.error instanceof ApplicationFailure && !outcome.error.nonRetryable) continue;
    return { error: outcome.error, attempts: attempt };
  }
  return { error: new Error(`still failing after ${MAX_ATTEMPTS} attempts`), attempts: MAX_ATTEMPTS };
}

export interface ScheduleReport {
  faultsInjected: number;
  kills: number;
  orders: number;
  duplicates: number;
  breaks: string[];
  resolvedAmbiguities: number;
}

/** Runs one schedule and checks every invariant; `breaks` lists what did not hold. */
export async function runSchedule(schedule: Schedule, scheduleNo: number): Promise<ScheduleReport> {
  const v = await openVenue(schedule.family);
  clearExchangeEnv();
  Object.assign(process.env, {
    ...v.env, EXCHANGE_REST_URL: v.url, [LIVE_OPT_IN_ENV]: LIVE_OPT_IN_VALUE, EXCHANGE_LOOKUP_WINDOW_MS: '150', EXCHANGE_SNAPSHOT_RECHECK_MS: '20',
  });
  freshInstance();
  const breaks: string[] = [];
  const market = `live:${schedule.family}`;
  const venue = { mode: 'live' as const, market, timeframe: '1h', cursor: { time: null }, paper: { feeRate: 0.001, slippageBps: 5 } };
  const requests: OrderRequest[] = [];
  let resolvedAmbiguities = 0;
  try {
    for (const step of schedule.faults) v.inject(concreteFault(v, step));
    if (schedule.kill) v.armKill(schedule.kill.afterRequests, schedule.kill.applyFirst);

    let truth: PortfolioBook = { ...newBook(START.quote, 0), positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: START.base, avgPrice: START.price } } };
    for (const [i, o] of schedule.orders.entries()) {
      const thin = o.thinBook && schedule.family === 'binance' && o.type === 'market';
      v.setLiquidity?.(thin ? o.quantity / 2 : undefined);
      const request: OrderRequest = {
        clientOrderId: `tt-ch${scheduleNo}-${i}`, portfolioId: `chaos-${scheduleNo}`, cycleId: `chaos-${scheduleNo}-cycle-${i}`, symbol: 'BTC/USDT',
        side: o.side, type: o.type, quantity: o.quantity, referencePrice: START.price,
        ...(o.type === 'limit' && { limitPrice: o.side === 'buy' ? START.price * 0.99 : START.price * 1.01 }),
      };
      requests.push(request);
      const input: PlaceOrderInput = { ...venue, request, balances: { cash: truth.cash, position: truth.positions['BTC/USDT']?.quantity ?? 0 } };
      const placed = await asTemporal(v, () => placeOrder(input));
      if (placed.error && !(placed.error instanceof Error && /still failing/.test(placed.error.message))) {
        breaks.push(`order ${request.clientOrderId} refused: ${String((placed.error as Error).message ?? placed.error)}`);
      }
      if (placed.value?.deduplicated) resolvedAmbiguities += 1;
      if (o.type === 'limit') v.setPrice(o.side === 'buy' ? START.price * 0.985 : START.price * 1.015);
      v.setPrice(START.price);
      const saved = await findOrder(request.clientOrderId);
      if (saved) truth = bookOf(requests, await savedOrders(requests));
      // Reconciliation in the middle of the faults: it must never adopt a snapshot that is not the account.
      const reconciled = await asTemporal(v, () => reconcileAccount({
        mode: 'live', market, portfolioId: request.portfolioId, cycleId: request.cycleId, symbols: ['BTC/USDT'], initialCash: 0, book: truth,
      }));
      const adopted = reconciled.value?.corrected;
      if (adopted && !reconciled.value?.inSync) {
        const actual = v.balances();
        const held = adopted.positions['BTC/USDT']?.quantity ?? 0;
        if (Math.abs(held - actual.base) > 1e-6 || Math.abs(adopted.cash - actual.quote) > 1e-4) {
          breaks.push(`reconciliation adopted a book (${adopted.cash}, ${held}) that is not the account (${actual.quote}, ${actual.base})`);
        }
      }
    }

    // The exchange recovers: every order is brought to its final state, as the following cycles would.
    v.clearFaults();
    v.disarmKill();
    v.setLiquidity?.(undefined);
    for (const request of requests) {
      for (let round = 0; round < 4; round++) {
        const stored = await findOrder(request.clientOrderId);
        if (!stored || ['filled', 'cancelled', 'rejected', 'expired'].includes(stored.status)) break;
        if (stored.status === 'submitted') await asTemporal(v, () => placeOrder({ ...venue, request, balances: { cash: 0, position: 0 } }));
        // A limit order placed only now gets the price move it was waiting for.
        if (request.type === 'limit') v.setPrice(request.side === 'buy' ? START.price * 0.985 : START.price * 1.015);
        v.setPrice(START.price);
        if ((await findOrder(request.clientOrderId))?.status !== 'submitted') await asTemporal(v, () => pollOrder({ ...venue, clientOrderId: request.clientOrderId }));
      }
    }
    const orders = await savedOrders(requests);
    const onExchange = v.orders();
    const counts = new Map<string, number>();
    for (const o of onExchange) counts.set(o.clientId, (counts.get(o.clientId) ?? 0) + 1);
    const duplicates = [...counts.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
    if (duplicates > 0) breaks.push(`${duplicates} duplicate order(s) on the exchange`);
    for (const request of requests) {
      const saved = orders.get(request.clientOrderId);
      const remote = onExchange.find((o) => o.clientId === exchangeClientOrderId(schedule.family, request.clientOrderId));
      if (!saved) {
        if (remote) breaks.push(`order ${request.clientOrderId} is on the exchange but not in the database`);
        continue;
      }
      if (saved.status === 'submitted' || saved.status === 'unknown' || saved.status === 'open' || saved.status === 'partially_filled') {
        breaks.push(`order ${request.clientOrderId} left ${saved.status} after the exchange recovered`);
        continue;
      }
      if (!remote) {
        if (saved.filledQuantity > 0 || (saved.status !== 'rejected' && saved.status !== 'cancelled')) breaks.push(`order ${request.clientOrderId} is ${saved.status} in the database but not on the exchange`);
        if (request.side === 'sell' && !/PriceOutOfBand|never reached/.test(saved.rejectReason ?? '')) breaks.push(`exit ${request.clientOrderId} skipped: ${saved.rejectReason}`);
        continue;
      }
      if (saved.status !== remote.status) breaks.push(`order ${request.clientOrderId}: database ${saved.status}, exchange ${remote.status}`);
      if (Math.abs(saved.filledQuantity - remote.filled) > 1e-9) breaks.push(`order ${request.clientOrderId}: database filled ${saved.filledQuantity}, exchange ${remote.filled}`);
      if (saved.fills.length !== remote.fills && !(schedule.family === 'okx' && saved.fills.length > 0)) breaks.push(`order ${request.clientOrderId}: ${saved.fills.length} fills saved, ${remote.fills} on the exchange`);
    }
    const book = bookOf(requests, orders);
    const actual = v.balances();
    if (Math.abs((book.positions['BTC/USDT']?.quantity ?? 0) - actual.base) > 1e-6 || Math.abs(book.cash - actual.quote) > 1e-4) {
      breaks.push(`book from the fills (${book.cash} USDT, ${book.positions['BTC/USDT']?.quantity ?? 0} BTC) differs from the exchange (${actual.quote}, ${actual.base})`);
    }
    return { faultsInjected: v.faultsFired(), kills: v.kills(), orders: onExchange.length, duplicates, breaks, resolvedAmbiguities };
  } finally {
    await v.close();
  }
}

async function savedOrders(requests: OrderRequest[]): Promise<Map<string, OrderResult>> {
  const out = new Map<string, OrderResult>();
  for (const r of requests) {
    const saved = await findOrder(r.clientOrderId);
    if (saved) out.set(r.clientOrderId, saved);
  }
  return out;
}

/** The account the saved fills imply, from the venue's starting balances. */
function bookOf(requests: OrderRequest[], orders: Map<string, OrderResult>): PortfolioBook {
  let book: PortfolioBook = { ...newBook(START.quote, 0), positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity: START.base, avgPrice: START.price } } };
  for (const r of requests) for (const f of orders.get(r.clientOrderId)?.fills ?? []) book = applyFill(book, 'BTC/USDT', r.side, f);
  return book;
}

/** Runs `n` generated schedules from `seed`, one after another, adding to `counts`; returns the failing ones. */
export async function runSchedules(n: number, seed: number, counts: ChaosCounts, onEach?: (i: number, r: ScheduleReport, s: Schedule) => void): Promise<{ schedule: Schedule; report: ScheduleReport }[]> {
  const failing: { schedule: Schedule; report: ScheduleReport }[] = [];
  const schedules = fc.sample(scheduleArbitrary, { numRuns: n, seed });
  for (const [i, schedule] of schedules.entries()) {
    const report = await runSchedule(schedule, seed * 100_000 + i);
    counts.schedules += 1;
    counts.faultsInjected += report.faultsInjected;
    counts.kills += report.kills;
    counts.orders += report.orders;
    counts.duplicates += report.duplicates;
    counts.resolvedAmbiguities += report.resolvedAmbiguities;
    counts.byFamily[schedule.family] += 1;
    if (report.breaks.length > 0) {
      counts.invariantBreaks += report.breaks.length;
      failing.push({ schedule, report });
    }
    onEach?.(i, report, schedule);
  }
  clearExchangeEnv();
  return failing;
}

export function summaryLine(label: string, seed: number, c: ChaosCounts, ms: number): string {
  return `${label}: ${c.schedules} fault schedules (seed ${seed}; binance ${c.byFamily.binance}, okx ${c.byFamily.okx}), ${c.faultsInjected} faults injected, ` +
    `${c.kills} worker kills, ${c.orders} orders, ${c.resolvedAmbiguities} ambiguous outcomes resolved, duplicates: ${c.duplicates}, ` +
    `invariant breaks: ${c.invariantBreaks}, ${(ms / 1000).toFixed(1)} s`;
}
