/**
 * Task queues, one per kind of work, so each scales on its own: add workers for the queue that is behind.
 * Workflows and activities both import these names; `npm run worker -- --queues` takes them.
 */
export const TASK_QUEUES = {
  /** Workflow tasks only: cheap, deterministic orchestration. */
  workflows: 'trading-workflows',
  /** Exchange and file I/O for candles. */
  marketData: 'market-data',
  /** CPU: features, ONNX inference, risk and sizing. */
  inference: 'inference',
  /** Slow and rate-limited by the local LLM: low concurrency. */
  llm: 'llm',
  /** Orders: one writer per account, so concurrency 1. */
  execution: 'execution',
  /** Database writes of cycles, decisions and snapshots. */
  persistence: 'persistence',
  /** Model retraining (workflows/retraining.ts): long CPU-bound training runs, one at a time per worker. */
  training: 'training',
  /** Notifications (activities/notify): delivery to Slack, Telegram, Discord, e-mail and webhooks, never in a trading path. */
  notify: 'notify',
} as const;

export type QueueKey = keyof typeof TASK_QUEUES;
export const ALL_QUEUE_KEYS = Object.keys(TASK_QUEUES) as QueueKey[];

export function portfolioWorkflowId(portfolioId: string): string {
  return `portfolio-${portfolioId}`;
}
