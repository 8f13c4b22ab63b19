/**
 * Starting model retraining through Temporal: the weekly schedule (`tradectl retrain`) and one run now
 * (`tradectl retrain --now`). Both start workflows/retraining.ts on the workflow queue; its activities run on
 * the `training` queue, so a worker serving it (`npm run worker -- --queues training`, or `npm start`) must run.
 */
import { ScheduleNotFoundError, type Client, type ScheduleOptions, type WorkflowHandle } from '@temporalio/client';
import { TASK_QUEUES } from '../workflows/queues';
import { checkRetrainingInput, type RetrainingInput } from '../domain/retraining';
import type { retrainingWorkflow } from '../workflows/retraining';

export const RETRAINING_SCHEDULE_ID = 'signal-model-retraining';
/** Default cadence: weekly, Sunday 02:00 UTC, when markets are quietest. */
export const DEFAULT_RETRAINING_CALENDAR = { dayOfWeek: 'SUNDAY', hour: 2, minute: 0 } as const;

export interface ScheduleRequest {
  /** An interval (ms) instead of the weekly calendar, e.g. for a daily retrain. */
  everyMs?: number;
  input?: RetrainingInput;
}

function checked(input: RetrainingInput | undefined): RetrainingInput {
  const result = checkRetrainingInput(input);
  if (!result.ok) throw new Error(`invalid retraining options: ${result.reason}`);
  return input ?? {};
}

function scheduleOptions(request: ScheduleRequest): ScheduleOptions {
  const input = checked(request.input);
  return {
    scheduleId: RETRAINING_SCHEDULE_ID,
    spec: request.everyMs ? { intervals: [{ every: request.everyMs }] } : { calendars: [DEFAULT_RETRAINING_CALENDAR] },
    action: {
      type: 'startWorkflow',
      workflowType: 'retrainingWorkflow',
      // Temporal appends the scheduled time, so every run has its own id.
      workflowId: 'retrain-scheduled',
      taskQueue: TASK_QUEUES.workflows,
      args: [input],
    },
    // Never two trainings at once; a run missed while the server was down is made up within a day.
    policies: { overlap: 'SKIP', catchupWindow: '1 day' },
    memo: { purpose: 'retrain the signal model; promote only if it beats the served one (domain/retraining.ts)' },
  };
}

/** Creates the schedule, or updates its cadence and options when it exists. Returns whether it was created. */
export async function ensureRetrainingSchedule(client: Client, request: ScheduleRequest = {}): Promise<{ created: boolean; nextRuns: Date[] }> {
  const options = scheduleOptions(request);
  const handle = client.schedule.getHandle(RETRAINING_SCHEDULE_ID);
  let created = false;
  try {
    await handle.describe();
    await handle.update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: { ...previous.policies, ...options.policies } }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.schedule.create(options);
    created = true;
  }
  const description = await handle.describe();
  return { created, nextRuns: description.info.nextActionTimes.slice(0, 3) };
}

/** Starts one retraining run now, outside the schedule. */
export async function startRetraining(client: Client, input?: RetrainingInput, now = new Date()): Promise<WorkflowHandle<typeof retrainingWorkflow>> {
  return client.workflow.start<typeof retrainingWorkflow>('retrainingWorkflow', {
    workflowId: `retrain-manual-${now.toISOString().replace(/[:.]/g, '-')}`,
    taskQueue: TASK_QUEUES.workflows,
    args: [checked(input)],
  });
}
