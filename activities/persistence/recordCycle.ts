/**
 * The record activity: persists everything one trading cycle saw and decided as linked rows, so any order can
 * be traced back to the risk decision, LLM verdict and signal behind it (activities/persistence/queries.ts).
 *
 * One transaction, idempotent: the cycle row is upserted by its id (the cycle workflow id) and its children
 * (signals, verdicts, risk decisions, position and equity snapshots) are replaced, so a retried activity leaves
 * exactly one copy. Orders are not children: the execution activity saved them already (saveOrder); decisions
 * only link to them.
 */
import type { RecordPort } from '../../domain/contracts/records';
import { effectiveStop } from '../../domain/risk/exits';
import type { CycleRecord, FeatureVector, LlmVerdict, ModelVerdict, OrderResult, Position, RiskDecision } from '../../domain/types';
import { metrics } from '../metrics';
import { openDatabase, type Db, type DbTx } from '../../prisma/database';
import { ensureOrders } from './orderStore';

/** SQLite takes one writer at a time: leave room for a busy database before failing (and being retried). */
const TX_OPTIONS = { maxWait: 10_000, timeout: 20_000 };

function featureSummary(f: FeatureVector | undefined): string | null {
  if (!f) return null;
  const values: Record<string, number> = {};
  f.names.forEach((name, i) => {
    values[name] = f.values[i];
  });
  return JSON.stringify({ asOf: f.asOf, close: f.close, values });
}

/** One entry per symbol; a second entry for the same symbol would break a unique key, so it is reported and dropped. */
function bySymbol<T extends { symbol: string }>(items: T[], what: string, cycleId: string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    if (map.has(item.symbol)) console.warn(`recordCycle ${cycleId}: more than one ${what} for ${item.symbol}; keeping the first`);
    else map.set(item.symbol, item);
  }
  return map;
}

/**
 * Which order each decision produced: the cycle's order with the same symbol and side (its clientOrderId is
 * derived from the cycle, symbol and side). An order links to one decision only, an approved one first.
 */
function orderLinks(decisions: RiskDecision[], orders: OrderResult[]): Map<RiskDecision, string> {
  const links = new Map<RiskDecision, string>();
  const ranked = [...decisions].sort((a, b) => Number(b.approved) - Number(a.approved));
  const taken = new Set<string>();
  for (const d of ranked) {
    const order = orders.find((o) => o.symbol === d.symbol && o.side === d.side && !taken.has(o.clientOrderId));
    if (order) {
      taken.add(order.clientOrderId);
      links.set(d, order.clientOrderId);
    }
  }
  return links;
}

/** The columns a verdict and each model's vote share. */
function voteColumns(v: LlmVerdict | ModelVerdict) {
  return {
    approve: v.approve,
    confidence: v.confidence,
    reason: v.reason,
    model: v.model,
    fallback: v.fallback,
    fallbackReason: v.fallbackReason ?? null,
    sizeMultiplier: v.sizeMultiplier,
    latencyMs: Math.round(v.latencyMs),
  };
}

/**
 * The decisions and verdicts that have no signal of the cycle to hang from (the model failed, or a strategy's
 * proposal was weighed without it), with the order each decision produced: kept on the cycle row as JSON, so an
 * exit sold in a cycle whose model failed is explained like any other.
 */
function withoutSignal(record: CycleRecord): string | null {
  const signalled = new Set(record.signals.map((s) => s.symbol));
  const decisions = record.decisions.filter((d) => !signalled.has(d.symbol));
  const verdicts = record.verdicts.filter((v) => !signalled.has(v.symbol));
  if (decisions.length === 0 && verdicts.length === 0) return null;
  const links = orderLinks(decisions, record.orders);
  const entries: { decision?: RiskDecision; verdict?: LlmVerdict; orderId?: string }[] = decisions.map((decision) => ({
    decision, verdict: verdicts.find((v) => v.symbol === decision.symbol), orderId: links.get(decision),
  }));
  for (const verdict of verdicts) if (!decisions.some((d) => d.symbol === verdict.symbol)) entries.push({ verdict });
  return JSON.stringify(entries);
}

function verdictRow(v: LlmVerdict) {
  const { prompt } = v;
  return {
    ...voteColumns(v),
    consensus: v.consensus ?? null,
    promptVersion: prompt?.version ?? null,
    promptHash: prompt?.hash ?? null,
    prompt: prompt?.text ?? null,
    sampling: prompt ? JSON.stringify({ temperature: prompt.temperature, seed: prompt.seed, numPredict: prompt.numPredict }) : null,
    // Each model's vote, in panel order (absent on verdicts made before panels existed).
    models: { create: (v.models ?? []).map((m, seq) => ({ seq, ...voteColumns(m), weight: m.weight, reused: m.reused ?? false })) },
  };
}

/** The levels in force after the cycle, so the chart can draw a past trade's stop and take-profit over time. */
function protectiveLevels(p: Position) {
  if (!p.protection) return { stopPrice: null, stopKind: null, takeProfitPrice: null };
  const stop = effectiveStop(p.protection);
  return { stopPrice: stop.level, stopKind: stop.trailing ? 'trailing-stop' : 'stop-loss', takeProfitPrice: p.protection.takeProfit };
}

async function writeCycle(tx: DbTx, record: CycleRecord): Promise<{ existed: boolean }> {
  const { cycleId, book, prices } = record;
  const cycle = {
    portfolioId: record.portfolioId,
    cycleNo: record.cycleNo,
    mode: record.mode,
    marketSource: record.market,
    status: record.status,
    error: record.error ?? null,
    startedAt: new Date(record.startedAt),
    finishedAt: new Date(record.finishedAt),
    equity: record.equity,
    cash: book.cash,
    realizedPnlToday: book.realizedPnlToday,
    strategyReport: record.strategies ? JSON.stringify(record.strategies) : null,
    decisionsWithoutSignal: withoutSignal(record),
  };
  // Upsert, written as update-then-create so the transaction's first statement is a write: on SQLite that takes
  // the write lock up front (waiting out the busy timeout) instead of failing to upgrade a read snapshot later.
  const existed = (await tx.cycle.updateMany({ where: { id: cycleId }, data: cycle })).count > 0;
  if (!existed) await tx.cycle.create({ data: { id: cycleId, ...cycle } });

  // A retry replaces the children. Deleted explicitly, children first, rather than through ON DELETE CASCADE.
  if (existed) {
    await tx.llmModelVerdict.deleteMany({ where: { verdict: { signal: { cycleId } } } });
    await tx.llmVerdict.deleteMany({ where: { signal: { cycleId } } });
    await tx.riskDecision.deleteMany({ where: { signal: { cycleId } } });
    await tx.signal.deleteMany({ where: { cycleId } });
    await tx.positionSnapshot.deleteMany({ where: { cycleId } });
    await tx.equitySnapshot.deleteMany({ where: { cycleId } });
  }

  await ensureOrders(tx, record.orders, { mode: record.mode, market: record.market, portfolioId: record.portfolioId, cycleId });

  const features = bySymbol(record.features, 'feature vector', cycleId);
  const verdicts = bySymbol(record.verdicts, 'LLM verdict', cycleId);
  const decisions = bySymbol(record.decisions, 'risk decision', cycleId);
  const links = orderLinks([...decisions.values()], record.orders);

  for (const s of bySymbol(record.signals, 'signal', cycleId).values()) {
    const verdict = verdicts.get(s.symbol);
    const decision = decisions.get(s.symbol);
    verdicts.delete(s.symbol);
    decisions.delete(s.symbol);
    const feature = features.get(s.symbol);
    const orderId = decision ? links.get(decision) : undefined;
    await tx.signal.create({
      data: {
        cycleId,
        symbol: s.symbol,
        asOf: new Date(s.asOf),
        direction: s.direction,
        confidence: s.confidence,
        probabilities: JSON.stringify(s.probabilities),
        modelVersion: s.modelVersion,
        lastPrice: prices[s.symbol] ?? feature?.close ?? null,
        features: featureSummary(feature),
        verdict: verdict ? { create: verdictRow(verdict) } : undefined,
        decision: decision
          ? {
              create: {
                side: decision.side,
                approved: decision.approved,
                quantity: decision.quantity,
                price: decision.price,
                notional: decision.notional,
                rules: JSON.stringify(decision.rules),
                ...(orderId ? { order: { connect: { id: orderId } } } : {}),
              },
            }
          : undefined,
      },
    });
  }
  // Verdicts and decisions without a signal are on the cycle row (withoutSignal).

  const positions = Object.entries(book.positions);
  if (positions.length) {
    await tx.positionSnapshot.createMany({
      data: positions.map(([symbol, p]) => ({
        cycleId,
        symbol,
        quantity: p.quantity,
        avgPrice: p.avgPrice,
        marketPrice: prices[symbol] ?? null,
        ...protectiveLevels(p),
      })),
    });
  }
  const exposure = positions.reduce((sum, [symbol, p]) => sum + Math.abs(p.quantity * (prices[symbol] ?? p.avgPrice)), 0);
  await tx.equitySnapshot.create({
    data: {
      cycleId,
      portfolioId: record.portfolioId,
      timestamp: new Date(record.finishedAt),
      cash: book.cash,
      equity: record.equity,
      exposure,
      realizedPnlToday: book.realizedPnlToday,
    },
  });
  return { existed };
}

/**
 * Activity: records one cycle (completed or failed, with whatever stages it reached) as linked rows.
 * `db` is for tests and scripts; as an activity it is called with the record only.
 */
export async function recordCycle(record: CycleRecord, db: Db = openDatabase()): Promise<{ cycleId: string }> {
  const { existed } = await db.$transaction((tx) => writeCycle(tx, record), TX_OPTIONS);

  // Counted once per cycle: a retry after a committed attempt does not count it again.
  if (!existed) {
    metrics.cycles.inc({ portfolio: record.portfolioId, status: record.status });
    const seconds = (record.finishedAt - record.startedAt) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) metrics.cycleDuration.observe({ portfolio: record.portfolioId }, seconds);
  }
  if (Number.isFinite(record.equity)) metrics.equity.set({ portfolio: record.portfolioId, mode: record.mode }, record.equity);
  if (record.risk) {
    const labels = { portfolio: record.portfolioId, mode: record.mode };
    metrics.riskScore.set(labels, record.risk.riskScore);
    if (Number.isFinite(record.risk.valueAtRisk)) metrics.valueAtRisk.set(labels, record.risk.valueAtRisk);
    for (const u of record.risk.usage) {
      // The cash buffer is a floor, not a ceiling: report how much of the cash above it is left to spend.
      const ratio = u.limit === 'cashBuffer' ? (u.used > 0 ? u.max / u.used : 1) : u.max > 0 ? u.used / u.max : 0;
      metrics.riskLimitUsage.set({ portfolio: record.portfolioId, limit: u.limit }, ratio);
    }
  }
  return { cycleId: record.cycleId };
}

// The records port of the cycle's contracts (domain/contracts): the compiler holds this activity to it.
void ({ recordCycle } satisfies RecordPort);
