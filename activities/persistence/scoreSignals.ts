/**
 * scoreMatureSignals activity: live monitoring of the signal model. A signal's outcome is known `horizon`
 * candles after it: the realised return from its candle's close to the close `horizon` candles later,
 * labelled with the model's own threshold (domain/features/labels.ts, as in training). Each outcome is
 * stored (SignalOutcome, one per signal) and the realised hit rate against the predicted confidence, per model
 * version and confidence band, is exported as Prometheus metrics (./modelMetrics).
 *
 * The later close comes from the database, not from the market: the same portfolio recorded a signal for that
 * symbol at that candle, with the candle's close (Signal.lastPrice). A later candle the portfolio never saw
 * (paused, stopped) cannot be scored, and is recorded as `unscorable` with the reason. Horizon and threshold
 * come from the version's manifest in the model registry; a version this worker does not have stays pending.
 */
import type { MonitoringPort, ScoreMatureSignalsInput, ScoreMatureSignalsResult } from '../../domain/contracts/records';
import type { Direction } from '../../domain/types';
import { openDatabase, type Db } from '../../prisma/database';
import { labelForReturn } from '../../domain/features/labels';
import { FEATURE_CANDLE_MS } from '../../domain/features/definition';
import { modelMetrics } from '../modelMetrics';
import { findManifest } from '../modelRegistry';
import { failure } from '../../domain/failures';

/** Confidence bands of the monitoring metrics (band `all` covers every signal). */
export const CONFIDENCE_BANDS: ReadonlyArray<{ name: string; from: number; to: number }> = [
  { name: '0.0-0.4', from: 0, to: 0.4 },
  { name: '0.4-0.5', from: 0.4, to: 0.5 },
  { name: '0.5-0.6', from: 0.5, to: 0.6 },
  { name: '0.6-0.7', from: 0.6, to: 0.7 },
  { name: '0.7-0.8', from: 0.7, to: 0.8 },
  { name: '0.8-1.0', from: 0.8, to: 1.0000001 },
];

const DEFAULT_LIMIT = 500;

export type { ScoreMatureSignalsInput, ScoreMatureSignalsResult } from '../../domain/contracts/records';

export async function scoreMatureSignals(input: ScoreMatureSignalsInput, db: Db = openDatabase()): Promise<ScoreMatureSignalsResult> {
  if (!input || typeof input.portfolioId !== 'string' || !input.portfolioId) {
    throw failure('InvalidInput', 'scoreMatureSignals expects { portfolioId: string; limit?: number }');
  }
  const limit = input.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw failure('InvalidInput', `limit must be a positive integer, got ${limit}`);
  const { portfolioId } = input;
  const inPortfolio = { cycle: { portfolioId } };

  // The newest candle the portfolio has recorded, per symbol: signals older than it by their horizon are mature.
  const newest = new Map<string, number>();
  for (const g of await db.signal.groupBy({ by: ['symbol'], where: inPortfolio, _max: { asOf: true } })) {
    if (g._max.asOf) newest.set(g.symbol, g._max.asOf.getTime());
  }
  const pending = await db.signal.findMany({
    where: { ...inPortfolio, outcome: { is: null } },
    orderBy: [{ asOf: 'asc' }, { id: 'asc' }],
    take: limit,
    select: { id: true, symbol: true, asOf: true, direction: true, confidence: true, modelVersion: true, lastPrice: true },
  });

  const labels = new Map<string, { horizonCandles: number; threshold: number } | null>();
  const labelOf = (version: string) => {
    if (!labels.has(version)) labels.set(version, findManifest(version)?.label ?? null);
    return labels.get(version)!;
  };
  const mature = pending
    .map((s) => ({ s, label: labelOf(s.modelVersion) }))
    .filter(({ s, label }) => label !== null && s.asOf.getTime() + label.horizonCandles * FEATURE_CANDLE_MS <= (newest.get(s.symbol) ?? -Infinity));
  const unknownVersions = [...labels].filter(([, l]) => l === null).map(([v]) => v).sort();

  // Closes at the horizon, from the signals the portfolio recorded at those candles.
  const targets = new Map<string, Set<number>>();
  for (const { s, label } of mature) {
    const set = targets.get(s.symbol) ?? new Set<number>();
    set.add(s.asOf.getTime() + label!.horizonCandles * FEATURE_CANDLE_MS);
    targets.set(s.symbol, set);
  }
  const closeAt = new Map<string, number>();
  for (const [symbol, times] of targets) {
    const rows = await db.signal.findMany({
      where: { ...inPortfolio, symbol, asOf: { in: [...times].map((t) => new Date(t)) }, lastPrice: { not: null } },
      select: { asOf: true, lastPrice: true },
    });
    for (const r of rows) closeAt.set(`${symbol}@${r.asOf.getTime()}`, r.lastPrice!);
  }

  const outcomes = mature.map(({ s, label }) => {
    const target = s.asOf.getTime() + label!.horizonCandles * FEATURE_CANDLE_MS;
    const later = closeAt.get(`${s.symbol}@${target}`);
    const base = {
      signalId: s.id, portfolioId, modelVersion: s.modelVersion, symbol: s.symbol, asOf: s.asOf, predicted: s.direction,
      confidence: s.confidence, horizonCandles: label!.horizonCandles, threshold: label!.threshold,
    };
    if (s.lastPrice == null || !(s.lastPrice > 0)) return { ...base, status: 'unscorable', detail: 'the signal recorded no price for its candle' };
    if (later === undefined) {
      return { ...base, status: 'unscorable', detail: `no signal recorded for ${s.symbol} at ${new Date(target).toISOString()}: the portfolio did not see that candle` };
    }
    const realisedReturn = later / s.lastPrice - 1;
    const realised: Direction = labelForReturn(realisedReturn, label!.threshold);
    return { ...base, status: 'scored', realisedReturn, realised, hit: realised === s.direction };
  });
  if (outcomes.length > 0) await db.signalOutcome.createMany({ data: outcomes });

  for (const o of outcomes) {
    if ('hit' in o) modelMetrics.signalOutcomes.inc({ model_version: o.modelVersion, direction: o.predicted, hit: String(o.hit) });
  }
  for (const version of new Set(outcomes.map((o) => o.modelVersion))) await refreshVersionMetrics(version, db);
  return {
    scored: outcomes.filter((o) => o.status === 'scored').length,
    unscorable: outcomes.filter((o) => o.status === 'unscorable').length,
    unknownVersions,
  };
}

export interface BandPerformance {
  band: string;
  scored: number;
  hitRate: number | null;
  meanConfidence: number | null;
}

export interface VersionPerformance {
  modelVersion: string;
  scored: number;
  unscorable: number;
  hitRate: number | null;
  meanConfidence: number | null;
  bands: BandPerformance[];
}

/** Realised hit rate against mean predicted confidence, overall and per band, over every portfolio. */
export async function modelPerformance(modelVersion: string, db: Db = openDatabase()): Promise<VersionPerformance> {
  const band = async (name: string, from: number, to: number): Promise<BandPerformance> => {
    const where = { modelVersion, status: 'scored', confidence: { gte: from, lt: to } };
    const [all, hits] = await Promise.all([
      db.signalOutcome.aggregate({ where, _count: { _all: true }, _avg: { confidence: true } }),
      db.signalOutcome.count({ where: { ...where, hit: true } }),
    ]);
    const n = all._count._all;
    return { band: name, scored: n, hitRate: n ? hits / n : null, meanConfidence: all._avg.confidence ?? null };
  };
  const overall = await band('all', 0, 2);
  const bands = [];
  for (const b of CONFIDENCE_BANDS) bands.push(await band(b.name, b.from, b.to));
  const unscorable = await db.signalOutcome.count({ where: { modelVersion, status: 'unscorable' } });
  return { modelVersion, scored: overall.scored, unscorable, hitRate: overall.hitRate, meanConfidence: overall.meanConfidence, bands };
}

/** Versions with any outcome, newest outcome first. */
export async function monitoredVersions(db: Db = openDatabase()): Promise<string[]> {
  const rows = await db.signalOutcome.groupBy({ by: ['modelVersion'], _max: { scoredAt: true } });
  return rows.sort((a, b) => (b._max.scoredAt?.getTime() ?? 0) - (a._max.scoredAt?.getTime() ?? 0)).map((r) => r.modelVersion);
}

async function refreshVersionMetrics(version: string, db: Db): Promise<void> {
  const perf = await modelPerformance(version, db);
  for (const b of [{ band: 'all', scored: perf.scored, hitRate: perf.hitRate, meanConfidence: perf.meanConfidence }, ...perf.bands]) {
    const labels = { model_version: version, band: b.band };
    modelMetrics.scored.set(labels, b.scored);
    if (b.hitRate !== null) modelMetrics.hitRate.set(labels, b.hitRate);
    if (b.meanConfidence !== null) modelMetrics.meanConfidence.set(labels, b.meanConfidence);
  }
}

// The monitoring port of the cycle's contracts (domain/contracts): the compiler holds this activity to it.
void ({ scoreMatureSignals } satisfies MonitoringPort);
