/**
 * Orders and their fills, keyed by the deterministic clientOrderId. Written by the execution activity
 * before it returns (so no fill only exists in memory) and read back on a retry to avoid placing twice.
 */
import type { Fill, OrderRequest, OrderResult, OrderStatus, Side } from '../../domain/types';
import { openDatabase, type Db, type DbTx } from '../../prisma/database';

export interface OrderContext {
  /** 'paper' | 'live' */
  mode: string;
  /** The market source spec (`live:binance`, `replay:...`, `sim:...`). */
  market: string;
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
  return result;
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
