/**
 * Read side for the CLI (`tradectl cycles|orders|trace`) and tests. Rows are Prisma rows (Dates for times);
 * JSON columns are parsed in traces so they print as structures.
 */
import type { Direction, LlmVerdict as LlmVerdictValue, RiskDecision as RiskDecisionValue, RuleFired } from '../../domain/types';
import { openDatabase, type Db } from '../../prisma/database';
import type { Cycle, Fill, LlmModelVerdict, LlmVerdict, Order, RiskDecision, Signal } from '../../prisma/generated/sqlite/client';

export type CycleRow = Cycle & {
  /** Orders the cycle placed (orders carry the cycle id; they are not a relation, see schema). */
  orderCount: number;
  signalCount: number;
};

export type OrderRow = Order & { fills: Fill[] };

export interface SignalTrace extends Omit<Signal, 'probabilities' | 'features'> {
  probabilities: Record<Direction, number>;
  /** { asOf, close, values: { featureName: value } } as the cycle computed them, or null. */
  features: { asOf: number; close: number; values: Record<string, number> } | null;
}

export interface DecisionTrace extends Omit<RiskDecision, 'rules'> {
  rules: RuleFired[];
}

/** The verdict with each model's vote (panel order) and its sampling options parsed. */
export interface VerdictTrace extends Omit<LlmVerdict, 'sampling'> {
  sampling: { temperature: number; seed: number; numPredict: number } | null;
  models: LlmModelVerdict[];
}

export interface OrderTrace {
  order: OrderRow;
  /** The risk decision that produced the order (null until the cycle is recorded). */
  decision: DecisionTrace | null;
  verdict: VerdictTrace | null;
  signal: SignalTrace | null;
  cycle: Cycle | null;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text == null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** The portfolio's latest cycles, newest first, with order and signal counts. */
export async function recentCycles(portfolioId: string, limit = 20, db: Db = openDatabase()): Promise<CycleRow[]> {
  const cycles = await db.cycle.findMany({
    where: { portfolioId },
    orderBy: [{ startedAt: 'desc' }, { cycleNo: 'desc' }],
    take: limit,
    include: { _count: { select: { signals: true } } },
  });
  if (cycles.length === 0) return [];
  const orderCounts = await db.order.groupBy({
    by: ['cycleId'],
    where: { cycleId: { in: cycles.map((c) => c.id) } },
    _count: { _all: true },
  });
  const byCycle = new Map(orderCounts.map((o) => [o.cycleId, o._count._all]));
  return cycles.map(({ _count, ...c }) => ({ ...c, orderCount: byCycle.get(c.id) ?? 0, signalCount: _count.signals }));
}

/** The portfolio's latest orders, newest first, each with its fills in fill order. */
export async function recentOrders(portfolioId: string, limit = 20, db: Db = openDatabase()): Promise<OrderRow[]> {
  return db.order.findMany({
    where: { portfolioId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
    include: { fills: { orderBy: { seq: 'asc' } } },
  });
}

const VERDICT_WITH_MODELS = { include: { models: { orderBy: { seq: 'asc' as const } } } };

/**
 * Explains an order: its fills, the risk decision that produced it (with every rule that fired), the LLM
 * verdict and the model signal behind that decision, and the cycle. null when no such order exists. When the
 * cycle is not recorded (yet) the order is returned alone; the signal is then looked up by cycle and symbol.
 */
export async function traceOrder(clientOrderId: string, db: Db = openDatabase()): Promise<OrderTrace | null> {
  const order = await db.order.findUnique({
    where: { id: clientOrderId },
    include: {
      fills: { orderBy: { seq: 'asc' } },
      decision: { include: { signal: { include: { verdict: VERDICT_WITH_MODELS, cycle: true } } } },
    },
  });
  if (!order) return null;
  const { decision: decisionRow, ...orderRow } = order;

  let signalRow: (Signal & { verdict: (LlmVerdict & { models: LlmModelVerdict[] }) | null; cycle: Cycle }) | null = decisionRow?.signal ?? null;
  if (!signalRow) {
    signalRow = await db.signal.findUnique({
      where: { cycleId_symbol: { cycleId: order.cycleId, symbol: order.symbol } },
      include: { verdict: VERDICT_WITH_MODELS, cycle: true },
    });
  }
  const cycle = signalRow?.cycle ?? (await db.cycle.findUnique({ where: { id: order.cycleId } }));

  let decision: DecisionTrace | null = null;
  let unsignalledVerdict: VerdictTrace | null = null;
  if (decisionRow) {
    const { signal: _signal, rules, ...rest } = decisionRow;
    decision = { ...rest, rules: parseJson<RuleFired[]>(rules, []) };
  } else if (cycle?.decisionsWithoutSignal) {
    // A decision without a model signal (an exit in a cycle whose model failed) is kept on the cycle row.
    type Entry = { decision?: RiskDecisionValue; verdict?: LlmVerdictValue; orderId?: string };
    const entry = parseJson<Entry[]>(cycle.decisionsWithoutSignal, []).find((e) => e.orderId === clientOrderId);
    if (entry?.decision) {
      const d = entry.decision;
      decision = {
        id: 0, signalId: 0, side: d.side, approved: d.approved, quantity: d.quantity, price: d.price, notional: d.notional, orderId: clientOrderId, rules: d.rules,
      } as DecisionTrace;
    }
    if (entry?.verdict) {
      const v = entry.verdict;
      unsignalledVerdict = {
        id: 0, signalId: 0, approve: v.approve, confidence: v.confidence, reason: v.reason, model: v.model, fallback: v.fallback,
        fallbackReason: v.fallbackReason ?? null, sizeMultiplier: v.sizeMultiplier, latencyMs: Math.round(v.latencyMs),
        consensus: v.consensus ?? null, promptVersion: v.prompt?.version ?? null, promptHash: v.prompt?.hash ?? null, prompt: v.prompt?.text ?? null,
        sampling: v.prompt ? { temperature: v.prompt.temperature, seed: v.prompt.seed, numPredict: v.prompt.numPredict } : null, models: [],
      } as VerdictTrace;
    }
  }
  let signal: SignalTrace | null = null;
  if (signalRow) {
    const { verdict: _verdict, cycle: _cycle, probabilities, features, ...rest } = signalRow;
    signal = {
      ...rest,
      probabilities: parseJson<Record<Direction, number>>(probabilities, { up: NaN, down: NaN, flat: NaN }),
      features: parseJson<SignalTrace['features']>(features, null),
    };
  }
  const verdictRow = signalRow?.verdict;
  const verdict = verdictRow ? { ...verdictRow, sampling: parseJson<VerdictTrace['sampling']>(verdictRow.sampling, null) } : unsignalledVerdict;
  return { order: orderRow, decision, verdict, signal, cycle };
}
