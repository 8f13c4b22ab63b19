/**
 * A paper portfolio that starts holding BTC bought in an earlier run, with a stop far above any price, so its first
 * cycle has an exit to make: the fill is seeded in the paper broker's order store (reconciliation agrees with the
 * book) and the portfolio workflow starts from a state that holds it, at a chosen market cursor.
 */
import { saveOrder } from '../../activities/persistence/orderStore';
import type { PortfolioConfig } from '../../domain/config';
import { portfolioWorkflowId, TASK_QUEUES } from '../../workflows/queues';
import type { PortfolioState } from '../../workflows/messages';
import { STOP_ABOVE_ANY_PRICE } from './cycleHarness';
import type { TestStack } from './testStack';

export const SEEDED_BTC = { quantity: 0.05, price: 39_000, fee: 1.95 };

/** Starts the portfolio; returns the cash it holds beside the BTC. */
export async function startSeededPortfolio(stack: Pick<TestStack, 'env'>, config: PortfolioConfig, cursor: number): Promise<{ cash: number }> {
  const { quantity, price, fee } = SEEDED_BTC;
  const instanceId = 'seeded01';
  const request = {
    clientOrderId: `seed-${config.portfolioId}`, portfolioId: config.portfolioId, cycleId: `${portfolioWorkflowId(config.portfolioId)}-${instanceId}-cycle-0`,
    symbol: 'BTC/USDT', side: 'buy' as const, type: 'market' as const, quantity, referencePrice: price,
  };
  await saveOrder(request, {
    clientOrderId: request.clientOrderId, symbol: 'BTC/USDT', side: 'buy', status: 'filled', requestedQuantity: quantity, filledQuantity: quantity,
    avgPrice: price, fee, fills: [{ price, quantity, fee, timestamp: cursor - 3_600_000 }], deduplicated: false,
  }, { mode: 'paper', market: config.market });
  const cash = config.initialCash - quantity * price - fee;
  const state: PortfolioState = {
    config, cursor: { time: cursor }, cooldowns: {}, paused: false, cycleNo: 0, instanceId, lastPrices: {},
    book: {
      cash, realizedPnlToday: 0, dayStartEquity: config.initialCash, day: new Date(cursor).toISOString().slice(0, 10),
      positions: { 'BTC/USDT': { symbol: 'BTC/USDT', quantity, avgPrice: price + fee / quantity, protection: STOP_ABOVE_ANY_PRICE } },
    },
  };
  await stack.env.client.workflow.start('portfolioWorkflow', {
    workflowId: portfolioWorkflowId(config.portfolioId), taskQueue: TASK_QUEUES.workflows, args: [{ config, state }],
  });
  return { cash };
}
