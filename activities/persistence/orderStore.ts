/**
 * Orders and their fills, keyed by the deterministic clientOrderId. Written by the execution activity
 * before it returns (so no fill only exists in memory) and read back on a retry to avoid placing twice.
 */
import type { Fill, OrderRequest, OrderResult, OrderStatus, OrderType, Side } from '../../domain/types';
import { openDatabase, type Db, type DbTx } from '../../prisma/database';

export interface OrderContext {
  /** 'paper' | 'live' */
  mode: string;
  /** The market source spec (`live:binance`, `replay:...`, `sim:...`). */
  market: string;
  /** Live orders: the ccxt id of the exchange the order went to. */
  exchangeId?: string;
}

type StoredOrder = NonNullable<Awaited<ReturnType<typeof loadOrder>>>;

function loadOrder(db: Db | DbTx, clientOrderId: string) {
  return db.order.findUnique({ where: { id: clientOrderId }, include: { fills: { orderBy: { seq: 'asc' } } } });
}

export function toOrderResult(row: StoredOrder): OrderResult {
  const result: OrderResult = {
    clientOrderId: row.id,
    symbol: row.symbol,
    side: row.side as Side,
    status: row.status as OrderStatus,
    requestedQuantity: row.requestedQuantity,
    filledQuantity: row.filledQuantity,
    avgPrice: row.avgPrice,
    fee: row.fee,
    fills: row.fills.map((f): Fill => ({ price: f.price, quantity: f.quantity, fee: f.fee, timestamp: f.timestamp.getTime() })),
    // As stored: the caller (execution activity) marks a result it found here as deduplicated.
    deduplicated: false,
  };
  if (row.rejectReason != null) result.rejectReason = row.rejectReason;
  if (row.exchangeOrderId != null) result.exchangeOrderId = row.exchangeOrderId;
  if (row.placedAt != null) result.placedAt = row.placedAt.getTime();
  return result;
}

/** The request an order row was saved from, for activities that only know the client order id. */
export function toOrderRequest(row: StoredOrder): OrderRequest {
  const request: OrderRequest = {
    clientOrderId: row.id,
    portfolioId: row.portfolioId,
    cycleId: row.cycleId,
    symbol: row.symbol,
    side: row.side as Side,
    type: row.type as OrderType,
    quantity: row.requestedQuantity,
    referencePrice: row.referencePrice ?? 0,
  };
  if (row.limitPrice != null) request.limitPrice = row.limitPrice;
  if (row.stopPrice != null) request.stopPrice = row.stopPrice;
  if (row.timeInForceMs != null) request.timeInForceMs = row.timeInForceMs;
  return request;
}

/** The stored result of an order, or null when no order with this client order id was saved. */
export async function findOrder(clientOrderId: string, db: Db = openDatabase()): Promise<OrderResult | null> {
  const row = await loadOrder(db, clientOrderId);
  return row ? toOrderResult(row) : null;
}

function fillRows(clientOrderId: string, fills: Fill[]) {
  return fills.map((f, seq) => ({
    orderId: clientOrderId,
    seq,
    price: f.price,
    quantity: f.quantity,
    fee: f.fee,
    timestamp: new Date(f.timestamp),
  }));
}

/**
 * Upserts the order (id = clientOrderId) and replaces its fills, in one transaction. Idempotent: saving the
 * same order again, or a newer state of it (an open order that filled later), leaves exactly one order row
 * and exactly the result's fills (unique (orderId, seq) backs this in the database).
 */
export async function saveOrder(req: OrderRequest, result: OrderResult, ctx: OrderContext, db: Db = openDatabase()): Promise<void> {
  if (result.clientOrderId !== req.clientOrderId) {
    throw new Error(`saveOrder: result is for order ${result.clientOrderId}, request is for ${req.clientOrderId}`);
  }
  const state = {
    status: result.status,
    requestedQuantity: result.requestedQuantity,
    filledQuantity: result.filledQuantity,
    avgPrice: result.avgPrice,
    fee: result.fee,
    rejectReason: result.rejectReason ?? null,
    // Only ever set, never cleared: a later save of the same order may not know them (e.g. a plain status update).
    ...(result.exchangeOrderId !== undefined && { exchangeOrderId: result.exchangeOrderId }),
    ...(result.placedAt !== undefined && { placedAt: new Date(result.placedAt) }),
  };
  await db.$transaction([
    db.order.upsert({
      where: { id: req.clientOrderId },
      create: {
        id: req.clientOrderId,
        portfolioId: req.portfolioId,
        cycleId: req.cycleId,
        symbol: req.symbol,
        side: req.side,
        type: req.type,
        mode: ctx.mode,
        marketSource: ctx.market,
        referencePrice: req.referencePrice,
        limitPrice: req.limitPrice ?? null,
        stopPrice: req.stopPrice ?? null,
        timeInForceMs: req.timeInForceMs ?? null,
        exchangeId: ctx.exchangeId ?? null,
        ...state,
      },
      update: state,
    }),
    db.fill.deleteMany({ where: { orderId: req.clientOrderId } }),
    db.fill.createMany({ data: fillRows(req.clientOrderId, result.fills) }),
  ]);
}

/**
 * Inside a cycle record's transaction: makes sure every order the cycle placed has a row, creating it (with
 * its fills) from the OrderResult when the execution activity's save is missing, so decisions can link to it.
 * Existing rows are left alone: the execution activity's save is the authoritative one.
 */
export async function ensureOrders(
  tx: DbTx,
  orders: OrderResult[],
  ctx: OrderContext & { portfolioId: string; cycleId: string },
): Promise<void> {
  if (orders.length === 0) return;
  const ids = orders.map((o) => o.clientOrderId);
  const existing = new Set((await tx.order.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((o) => o.id));
  for (const o of orders) {
    if (existing.has(o.clientOrderId)) continue;
    existing.add(o.clientOrderId);
    await tx.order.create({
      data: {
        id: o.clientOrderId,
        portfolioId: ctx.portfolioId,
        cycleId: ctx.cycleId,
        symbol: o.symbol,
        side: o.side,
        type: 'market',
        mode: ctx.mode,
        marketSource: ctx.market,
        status: o.status,
        requestedQuantity: o.requestedQuantity,
        filledQuantity: o.filledQuantity,
        avgPrice: o.avgPrice,
        fee: o.fee,
        rejectReason: o.rejectReason ?? null,
      },
    });
    if (o.fills.length) await tx.fill.createMany({ data: fillRows(o.clientOrderId, o.fills) });
  }
}

/** An order as stored, with the request it came from and where it was placed. */
export interface StoredOrderView {
  request: OrderRequest;
  result: OrderResult;
  mode: string;
  market: string;
  exchangeId: string | null;
  /** When the row was last written (for a `submitted` row: just before the create was sent), ms UTC. */
  savedAt: number;
}

function toView(row: StoredOrder): StoredOrderView {
  return { request: toOrderRequest(row), result: toOrderResult(row), mode: row.mode, market: row.marketSource, exchangeId: row.exchangeId, savedAt: row.updatedAt.getTime() };
}

/** The exchange order ids this system knows on one exchange and symbol (to attribute account trades). */
export async function knownExchangeOrderIds(exchangeId: string, symbol: string, db: Db = openDatabase()): Promise<Set<string>> {
  const rows = await db.order.findMany({ where: { exchangeId, symbol, exchangeOrderId: { not: null } }, select: { exchangeOrderId: true } });
  return new Set(rows.map((r) => r.exchangeOrderId!));
}

export async function findStoredOrder(clientOrderId: string, db: Db = openDatabase()): Promise<StoredOrderView | null> {
  const row = await loadOrder(db, clientOrderId);
  return row ? toView(row) : null;
}

/** A portfolio's orders that are not final (submitted, open, partially filled, unknown), oldest first. */
export async function unfinishedOrders(portfolioId: string, mode: string, db: Db = openDatabase()): Promise<StoredOrderView[]> {
  const rows = await db.order.findMany({
    where: { portfolioId, mode, status: { in: ['submitted', 'open', 'partially_filled', 'unknown'] } },
    include: { fills: { orderBy: { seq: 'asc' } } },
    orderBy: { createdAt: 'asc' },
  });
  return rows.map(toView);
}

/** Every fill of a portfolio's orders in one mode, with its order's symbol and side, oldest order first. */
export async function portfolioFills(
  portfolioId: string,
  mode: string,
  db: Db = openDatabase(),
  /** Only orders whose cycle id starts with this: one instance of a portfolio id that was started afresh. */
  cyclePrefix?: string,
): Promise<{ clientOrderId: string; symbol: string; side: Side; fills: Fill[] }[]> {
  const rows = await db.order.findMany({
    where: { portfolioId, mode, ...(cyclePrefix ? { cycleId: { startsWith: cyclePrefix } } : {}) },
    include: { fills: { orderBy: { seq: 'asc' } } },
    orderBy: { createdAt: 'asc' },
  });
  return rows.map((r) => ({ clientOrderId: r.id, symbol: r.symbol, side: r.side as Side, fills: toOrderResult(r).fills }));
}
