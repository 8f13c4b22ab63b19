/** Which activities each task queue serves. A worker registers only its queues' activities. */
import * as execution from '../activities/execution';
import * as features from '../activities/features';
import * as inference from '../activities/inference';
import * as llm from '../activities/llm';
import * as market from '../activities/market';
import * as notify from '../activities/notify';
import * as record from '../activities/persistence/recordCycle';
import * as scoring from '../activities/persistence/scoreSignals';
import * as risk from '../activities/risk';
import * as training from '../activities/training';
import type { QueueKey } from '../workflows/queues';

export const ACTIVITIES_BY_QUEUE: Record<Exclude<QueueKey, 'workflows'>, object> = {
  marketData: { fetchMarketData: market.fetchMarketData, fetchNextPrice: market.fetchNextPrice },
  inference: { computeFeatures: features.computeFeatures, inferSignals: inference.inferSignals, assessTradeRisk: risk.assessTradeRisk },
  llm: { validateTrades: llm.validateTrades },
  execution: {
    placeOrder: execution.placeOrder,
    pollOrder: execution.pollOrder,
    cancelOrder: execution.cancelOrder,
    cancelAllOpenOrders: execution.cancelAllOpenOrders,
    placeProtectiveStop: execution.placeProtectiveStop,
    fetchAccountSnapshot: execution.fetchAccountSnapshot,
    reconcileAccount: execution.reconcileAccount,
    checkExchange: execution.checkExchange,
  },
  persistence: { recordCycle: record.recordCycle, scoreMatureSignals: scoring.scoreMatureSignals },
  training: {
    trainCandidate: training.trainCandidate,
    evaluateCandidate: training.evaluateCandidate,
    promoteModel: training.promoteModel,
    recordRetrainingDecision: training.recordRetrainingDecision,
  },
  notify: { deliverNotifications: notify.deliverNotifications },
};

/**
 * Concurrency per queue: the LLM is slow and local, so few at once; execution is one writer per account
 * so two orders of one portfolio never race on its balance; training saturates the CPU, so one run at a time.
 */
export const CONCURRENCY: Record<QueueKey, number> = {
  workflows: 50,
  marketData: 8,
  inference: 2,
  llm: 2,
  execution: 1,
  persistence: 4,
  // A training run takes both cores for minutes: one at a time.
  training: 1,
  // Each delivery waits on slow outside services (HTTP, SMTP); a few at once keep one slow channel from holding the rest.
  notify: 4,
};
