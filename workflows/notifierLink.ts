/**
 * How a workflow hands events to its notifier (./notifier.ts) without ever waiting on it: the notifier is started
 * once as an abandoned child (or found running, after continue-as-new or from an earlier run), then signalled.
 * Both need only the Temporal server, never a notify worker or a channel. Nothing here is awaited by a cycle, a halt
 * or a liquidation; events that could not be signalled stay in the outbox for the next try or the next run.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, getExternalWorkflowHandle, log, startChild } from '@temporalio/workflow';
import type { NotificationEvent } from '../domain/notifications/events';
import { TASK_QUEUES } from './queues';
import { notifierWorkflow, notifierWorkflowId, notifySignal } from './notifier';

/** Events kept while the notifier cannot be signalled; older ones are dropped first. */
const MAX_OUTBOX = 200;
/** Events per signal, so one signal stays a small payload. */
const SIGNAL_BATCH = 100;

export class NotifierLink {
  private started = false;
  private flushing: Promise<void> | undefined;

  constructor(private readonly portfolioId: string, readonly outbox: NotificationEvent[] = []) {}

  send(events: readonly NotificationEvent[]): void {
    this.outbox.push(...events);
    if (this.outbox.length > MAX_OUTBOX) this.outbox.splice(0, this.outbox.length - MAX_OUTBOX);
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
    });
  }

  /** Resolves once what was sent so far is signalled (or failed to be): before continue-as-new or completion. */
  async flushed(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    const workflowId = notifierWorkflowId(this.portfolioId);
    // A second pass starts the notifier again when the one found running ended meanwhile (it ends after a week idle).
    for (let pass = 0; pass < 2 && this.outbox.length > 0; pass++) {
      try {
        while (this.outbox.length > 0) {
          if (!this.started) await this.start(workflowId);
          const batch = this.outbox.slice(0, SIGNAL_BATCH);
          await getExternalWorkflowHandle(workflowId).signal(notifySignal, batch);
          this.outbox.splice(0, batch.length);
        }
      } catch (err) {
        this.started = false;
        log.warn('notifier not reachable; events kept for the next try', { notifier: workflowId, queued: this.outbox.length, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  private async start(workflowId: string): Promise<void> {
    try {
      await startChild(notifierWorkflow, {
        workflowId,
        taskQueue: TASK_QUEUES.workflows,
        args: [{ portfolioId: this.portfolioId }],
        // Outlives the run that started it: continue-as-new, a stop, even a termination of the portfolio.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    this.started = true;
  }
}
