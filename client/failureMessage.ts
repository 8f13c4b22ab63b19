/**
 * What tradectl prints when a command fails: the failure's own message, not the client's wrapper around it. A
 * refused update is a WorkflowUpdateFailedError ("Workflow Update failed") whose cause is the validator's
 * ApplicationFailure ("intervalMs: Number must be greater than or equal to 1000"); signals and queries fail with
 * service errors whose gRPC details say why. The deepest message of the cause chain is the reason, its failure
 * type said after it, and a wrapper's own words are kept only when they add something.
 */
import { ApplicationFailure } from '@temporalio/common';

/** Messages of wrappers that say only that something failed. */
const WRAPPERS = [/^Workflow Update failed$/i, /^Query failed$/i, /^Workflow execution failed$/i, /^Activity task failed$/i];

interface WithCause {
  message?: unknown;
  cause?: unknown;
  details?: unknown;
}

export function failureMessage(err: unknown): string {
  const chain: unknown[] = [];
  for (let e: unknown = err; e && chain.length < 10 && !chain.includes(e); e = (e as WithCause).cause) chain.push(e);
  const messages: string[] = [];
  let type: string | undefined;
  for (const e of chain) {
    const message = messageOf(e);
    if (message && !WRAPPERS.some((w) => w.test(message)) && !messages.some((m) => m.includes(message))) messages.push(message);
    if (e instanceof ApplicationFailure && e.type) type = e.type;
  }
  const reason = messages.length > 0 ? messages[messages.length - 1] : String(messageOf(err) ?? err);
  const context = messages.slice(0, -1).filter((m) => !reason.includes(m));
  return `${context.length ? `${context.join(': ')}: ` : ''}${reason}${type && !reason.includes(type) ? ` (${type})` : ''}`;
}

function messageOf(e: unknown): string | undefined {
  if (typeof e === 'string') return e;
  const { message, details } = (e ?? {}) as WithCause;
  // gRPC service errors put the server's reason in `details` and a code prefix in `message`.
  if (typeof details === 'string' && details.trim()) return details.trim();
  return typeof message === 'string' && message.trim() ? message.trim() : undefined;
}
