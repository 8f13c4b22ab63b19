/**
 * Time for workflow code. Inside Temporal's workflow sandbox `Date` is replaced by the time of the current
 * workflow task, recorded in history, so this returns the same value on every replay; it must only be
 * called from workflow code (activities use real time directly).
 */
export function workflowNow(): number {
  return Date.now();
}
