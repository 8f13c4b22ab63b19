/**
 * Retraining the signal model, as a workflow (started weekly by the schedule `tradectl retrain` creates, or at
 * once with `tradectl retrain --now`): train a candidate, evaluate it against the served model on the newest
 * out-of-time window, promote it only if it wins by the stated margin (domain/retraining.ts), and record the
 * decision with its evidence whatever it is. Every step is an activity on the `training` queue; this code only
 * orders them and applies the rule, deterministically.
 */
import { patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { retrainingDecided } from '../domain/notifications/derive';
import { workflowNow } from './workflowClock';
import type * as trainingActivities from '../activities/training';
import { TASK_QUEUES } from './queues';
import { NotifierLink } from './notifierLink';
import { retryWith } from './retryPolicies';
import {
  checkRetrainingInput, decidePromotion, type Evaluation, type PromotionDecision, type RetrainingInput,
} from '../domain/retraining';
import { failure } from '../domain/failures';
import type { PatchId } from './patches';


/** Training takes minutes on 2 cores (npm run train: well under 10); it heartbeats every 5 s. */
const training = proxyActivities<typeof trainingActivities>({
  taskQueue: TASK_QUEUES.training,
  startToCloseTimeout: '3h',
  heartbeatTimeout: '2m',
  retry: retryWith({ initialInterval: '1m', maximumAttempts: 2 }),
});
const steps = proxyActivities<typeof trainingActivities>({
  taskQueue: TASK_QUEUES.training,
  startToCloseTimeout: '15m',
  retry: retryWith({ initialInterval: '5s', maximumAttempts: 5 }),
});
// The record is what makes the decision explainable: retry it long before giving up.
const recorder = proxyActivities<typeof trainingActivities>({
  taskQueue: TASK_QUEUES.training,
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '1h',
  retry: retryWith({ initialInterval: '2s', maximumInterval: '1m' }),
});

/** The decision, told to the system notifier. */
const RETRAINING_NOTIFICATIONS_PATCH: PatchId = 'retraining-notifications';

export interface RetrainingOutcome {
  candidateVersion: string;
  decision: 'promote' | 'keep';
  reason: string;
  /** CURRENT after the run. */
  current: string | null;
  evaluation: Evaluation;
  rule: PromotionDecision;
}

export async function retrainingWorkflow(input: RetrainingInput = {}): Promise<RetrainingOutcome> {
  const checked = checkRetrainingInput(input);
  if (!checked.ok) throw failure('InvalidInput', `invalid retraining input: ${checked.reason}`);
  const opts = checked.value;
  const { workflowId, runId } = workflowInfo();

  const candidate = await training.trainCandidate({ profile: opts.profile, symbols: opts.symbols, from: opts.from, to: opts.to });
  const evaluation = await steps.evaluateCandidate({ candidateVersion: candidate.version, matrix: candidate.matrix });
  const rule = decidePromotion(evaluation, opts.minImprovement, opts.minEvaluationRows);
  const promotion = rule.promote ? await steps.promoteModel({ version: candidate.version, expectedCurrent: evaluation.currentVersion }) : null;
  await recorder.recordRetrainingDecision({ workflowId, runId, candidateVersion: candidate.version, evaluation, decision: rule, promotion });

  const promoted = promotion?.promoted === true;
  const outcome: RetrainingOutcome = {
    candidateVersion: candidate.version,
    decision: promoted ? 'promote' : 'keep',
    reason: promotion && !promotion.promoted ? `${rule.reason}; not promoted: ${promotion.reason}` : rule.reason,
    current: promotion ? promotion.current : evaluation.currentVersion,
    evaluation,
    rule,
  };
  if (patched(RETRAINING_NOTIFICATIONS_PATCH)) {
    // Model promoted or kept, to the system notifier (workflows/notifier.ts); signalled, never delivered from here.
    const link = new NotifierLink('system');
    link.send([retrainingDecided(`${workflowId}:${runId}`, outcome.decision, outcome.candidateVersion, outcome.current, outcome.reason, workflowNow())]);
    await link.flushed();
  }
  return outcome;
}
