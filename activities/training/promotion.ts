/**
 * Promotion and its record: the two activities that end a retraining run.
 *
 * promoteModel points CURRENT at the candidate only if CURRENT still names the version the candidate was
 * compared with (compare-and-set): an operator's manual promotion during a long training run is not silently
 * overwritten by a decision taken against another model. Inference workers pick the new CURRENT up within
 * their reload check, without a restart (activities/inference.ts).
 */
import type { Evaluation, PromotionDecision } from '../../domain/retraining';
import { openDatabase, type Db } from '../../prisma/database';
import { modelMetrics } from '../modelMetrics';
import { readCurrent, readManifest, registryRoot, versionDir, writeCurrent } from '../modelRegistry';
import { failure } from '../../domain/failures';

export interface PromoteModelInput {
  version: string;
  /** The version CURRENT named when the candidate was evaluated (null: none). */
  expectedCurrent: string | null;
}

export interface PromoteModelResult {
  promoted: boolean;
  previous: string | null;
  current: string | null;
  reason: string;
}

export async function promoteModel(input: PromoteModelInput): Promise<PromoteModelResult> {
  const root = registryRoot();
  readManifest(versionDir(root, input.version));
  const previous = readCurrent(root);
  if (previous === input.version) {
    // A retry after a promotion that succeeded: nothing to do.
    return { promoted: true, previous: input.expectedCurrent, current: previous, reason: `CURRENT already names ${input.version}` };
  }
  if (previous !== input.expectedCurrent) {
    return {
      promoted: false,
      previous,
      current: previous,
      reason: `CURRENT changed from ${input.expectedCurrent ?? '(none)'} to ${previous ?? '(none)'} while the candidate was evaluated; not overwritten`,
    };
  }
  writeCurrent(root, input.version);
  return { promoted: true, previous, current: input.version, reason: `CURRENT = ${input.version} (was ${previous ?? '(none)'})` };
}

export interface RetrainingRecord {
  workflowId: string;
  runId: string;
  candidateVersion: string;
  evaluation: Evaluation;
  decision: PromotionDecision;
  /** What promotion did, when the decision was to promote. */
  promotion: PromoteModelResult | null;
}

/** Activity: stores the decision with its evidence; idempotent by workflow id. */
export async function recordRetrainingDecision(record: RetrainingRecord, db: Db = openDatabase()): Promise<{ id: string }> {
  if (!record?.workflowId || !record.candidateVersion || !record.decision) {
    throw failure('InvalidInput', 'recordRetrainingDecision expects { workflowId, candidateVersion, evaluation, decision }');
  }
  const { evaluation: e, decision: d } = record;
  const promoted = d.promote && record.promotion?.promoted === true;
  const reason = d.promote && record.promotion && !record.promotion.promoted ? `${d.reason}; not promoted: ${record.promotion.reason}` : d.reason;
  const row = {
    runId: record.runId,
    candidateVersion: record.candidateVersion,
    currentVersion: e.currentVersion,
    decision: promoted ? 'promote' : 'keep',
    reason,
    metric: d.metric,
    margin: d.margin,
    candidateMetric: d.candidateMetric,
    currentMetric: d.currentMetric,
    baselineMetric: d.baselineMetric,
    windowFrom: e.window ? new Date(e.window.from) : null,
    windowTo: e.window ? new Date(e.window.to) : null,
    windowRows: e.window?.rows ?? 0,
    evaluation: JSON.stringify({ evaluation: e, promotion: record.promotion }),
  };
  const existed = (await db.retrainingDecision.updateMany({ where: { id: record.workflowId }, data: row })).count > 0;
  if (!existed) {
    await db.retrainingDecision.create({ data: { id: record.workflowId, ...row } });
    modelMetrics.retrainingDecisions.inc({ decision: row.decision });
  }
  return { id: record.workflowId };
}

/** Newest decisions first, for `tradectl retrain --history` and tests. */
export async function recentRetrainingDecisions(limit = 10, db: Db = openDatabase()) {
  return db.retrainingDecision.findMany({ orderBy: { decidedAt: 'desc' }, take: limit });
}
