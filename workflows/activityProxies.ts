/**
 * Activity stubs for the cycle workflows, one per task queue, each with explicit timeouts and a retry policy.
 * Failures that retrying cannot fix (the catalogue's final types, ./retryPolicies.ts) stop at the first attempt.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as executionActivities from '../activities/execution';
import type * as featureActivities from '../activities/features';
import type * as inferenceActivities from '../activities/inference';
import type * as llmActivities from '../activities/llm';
import type * as marketActivities from '../activities/market';
import type * as recordActivities from '../activities/persistence/recordCycle';
import type * as scoringActivities from '../activities/persistence/scoreSignals';
import type * as riskActivities from '../activities/risk';
import { TASK_QUEUES } from './queues';
import { retry } from './retryPolicies';

export { NON_RETRYABLE, retry } from './retryPolicies';

export const market = proxyActivities<typeof marketActivities>({
  taskQueue: TASK_QUEUES.marketData, startToCloseTimeout: '30s', scheduleToCloseTimeout: '3m', retry: retry(6),
});
export const features = proxyActivities<typeof featureActivities>({
  taskQueue: TASK_QUEUES.inference, startToCloseTimeout: '30s', retry: retry(3),
});
export const inference = proxyActivities<typeof inferenceActivities>({
  taskQueue: TASK_QUEUES.inference, startToCloseTimeout: '30s', retry: retry(3),
});
export const risk = proxyActivities<typeof riskActivities>({
  taskQueue: TASK_QUEUES.inference, startToCloseTimeout: '10s', retry: retry(3),
});
/**
 * The LLM activity applies its own per-call timeout and falls back, so it needs at most one timeout per proposal;
 * bounding it by that (plus a margin) means a worker that dies mid-call delays the cycle by no more than that.
 */
export function llmFor(proposals: number, callTimeoutMs: number) {
  return proxyActivities<typeof llmActivities>({
    taskQueue: TASK_QUEUES.llm, startToCloseTimeout: proposals * callTimeoutMs + 30_000, retry: retry(2),
  });
}
export const execution = proxyActivities<typeof executionActivities>({
  taskQueue: TASK_QUEUES.execution, startToCloseTimeout: '1m', scheduleToCloseTimeout: '10m', retry: retry(10),
});
// Records are what make decisions explainable: retry them long before giving up.
export const recorder = proxyActivities<typeof recordActivities>({
  taskQueue: TASK_QUEUES.persistence, startToCloseTimeout: '30s', scheduleToCloseTimeout: '30m', retry: retry(50),
});
export const monitoring = proxyActivities<typeof scoringActivities>({
  taskQueue: TASK_QUEUES.persistence, startToCloseTimeout: '1m', retry: retry(3),
});
