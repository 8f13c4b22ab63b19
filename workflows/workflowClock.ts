/**
 * Time for workflow code. Temporal's workflow sandbox replaces `Date` with the time of the current workflow task,
 * recorded in history (the SDK's documented way to read time in a workflow; there is no other), so this returns the
 * same value on every replay. It is neither I/O nor wall-clock time there, and an activity would only add a
 * command to every history for what the history already holds. Outside the sandbox `Date` is the real clock, so
 * it refuses to run there: activities use real time directly, the backtester and domain code take time from their
 * effects (`fx.now()`).
 */
import { inWorkflowContext } from '@temporalio/workflow';

export function workflowNow(): number {
  if (!inWorkflowContext()) throw new Error('workflowNow() is workflow-task time: call it from workflow code only (activities and the backtester take time from their effects)');
  return Date.now();
}
