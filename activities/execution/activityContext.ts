/**
 * Logging, heartbeats and sleeping that work inside a Temporal activity and degrade gracefully outside one (unit
 * tests call the activities directly). Messages are redacted before they reach the logger.
 */
import { Context } from '@temporalio/activity';
import { redact } from './redaction';

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export function logInfo(message: string, meta: Record<string, unknown> = {}): void {
  current()?.log.info(redact(message), meta);
}

export function logWarn(message: string, meta: Record<string, unknown> = {}): void {
  current()?.log.warn(redact(message), meta);
}

export function heartbeat(details?: unknown): void {
  current()?.heartbeat(details);
}

/** Sleeps, ending early (with the activity's cancellation) when Temporal cancels the activity. */
export async function pause(ms: number): Promise<void> {
  const ctx = current();
  if (ctx) return ctx.sleep(ms);
  await new Promise((resolve) => setTimeout(resolve, ms));
}
