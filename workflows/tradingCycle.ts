/**
 * One trading cycle, visible as its own workflow: market data, features, signals, LLM check, risk and sizing,
 * orders, record. It never throws once it has started: a failure is recorded with everything gathered so far,
 * and the orders that were placed are returned so the portfolio's book always matches what was filled.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo, type RetryPolicy } from '@temporalio/workflow';
import type * as executionActivities from '../activities/execution';
import type * as featureActivities from '../activities/features';
import type * as inferenceActivities from '../activities/inference';
import type * as llmActivities from '../activities/llm';
import type * as marketActivities from '../activities/market';
import type * as recordActivities from '../activities/persistence/recordCycle';
import type * as riskActivities from '../activities/risk';
import type { PortfolioConfig } from '../domain/config';
import { clientOrderId } from '../domain/ids';
import { applyFill, equity } from '../domain/ledger';
import { TASK_QUEUES } from '../domain/queues';
import { workflowNow } from '../domain/workflowClock';
import { planTrades } from '../domain/risk';
import type {
  CycleRecord, FeatureVector, LlmVerdict, MarketCursor, OrderResult, PortfolioBook, RiskDecision, Signal,
} from '../domain/types';

/** Failures that retrying cannot fix: bad data, bad config, refused orders. */
const NON_RETRYABLE = [
  'InvalidCandles', 'UnknownSymbol', 'ReplayDataMissing', 'InvalidMarketSource', 'InsufficientHistory',
  'FeatureMismatch', 'InvalidFeatures', 'InvalidLlmInput', 'InvalidConfig', 'InsufficientFunds', 'InvalidOrder',
  'AuthenticationFailed', 'ExchangeRejected', 'LiveTradingDisabled', 'MissingCredentials',
];
const retry = (maximumAttempts: number): RetryPolicy => ({
  initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts, nonRetryableErrorTypes: NON_RETRYABLE,
});

const market = proxyActivities<typeof marketActivities>({
  taskQueue: TASK_QUEUES.marketData, startToCloseTimeout: '30s', scheduleToCloseTimeout: '3m', retry: retry(6),
});
const features = proxyActivities<typeof featureActivities>({
  taskQueue: TASK_QUEUES.inference, startToCloseTimeout: '30s', retry: retry(3),
});
const inference = proxyActivities<typeof inferenceActivities>({
  taskQueue: TASK_QUEUES.inference, startToCloseTimeout: '30s', retry: retry(3),
});
const risk = proxyActivities<typeof riskActivities>({
  taskQueue: TASK_QUEUES.inference, startToCloseTimeout: '10s', retry: retry(3),
});
/**
 * The LLM activity applies its own per-call timeout and falls back, so it needs at most one timeout per proposal;
 * bounding it by that (plus a margin) means a worker that dies mid-call delays the cycle by no more than that.
 */
function llmFor(proposals: number, callTimeoutMs: number) {
  return proxyActivities<typeof llmActivities>({
    taskQueue: TASK_QUEUES.llm, startToCloseTimeout: proposals * callTimeoutMs + 30_000, retry: retry(2),
  });
}
const execution = proxyActivities<typeof executionActivities>({
  taskQueue: TASK_QUEUES.execution, startToCloseTimeout: '1m', scheduleToCloseTimeout: '10m', retry: retry(10),
});
// Records are what make decisions explainable: retry them long before giving up.
const recorder = proxyActivities<typeof recordActivities>({
  taskQueue: TASK_QUEUES.persistence, startToCloseTimeout: '30s', scheduleToCloseTimeout: '30m', retry: retry(50),
});

export interface CycleInput {
  portfolioId: string;
  cycleNo: number;
  config: PortfolioConfig;
  book: PortfolioBook;
  cursor: MarketCursor;
  coolingSymbols: string[];
  dailyHalt: boolean;
}

export interface CycleOutcome {
  status: 'completed' | 'failed' | 'exhausted';
  error?: string;
  /** The book after this cycle's fills: the portfolio adopts it as is. */
  book: PortfolioBook;
  nextCursor: MarketCursor;
  prices: Record<string, number>;
  equity: number;
  orders: OrderResult[];
  /** Symbols that got a fill, for cooldowns. */
  tradedSymbols: string[];
  dailyLossLimitHit: boolean;
}

function describeFailure(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause ?? err : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

export async function tradingCycleWorkflow(input: CycleInput): Promise<CycleOutcome> {
  const { config } = input;
  const startedAt = workflowNow();
  const cycleId = workflowInfo().workflowId;
  let book = input.book;
  let nextCursor = input.cursor;
  let prices: Record<string, number> = {};
  let featureVectors: FeatureVector[] = [];
  let signals: Signal[] = [];
  let verdicts: LlmVerdict[] = [];
  let decisions: RiskDecision[] = [];
  let dailyLossLimitHit = false;
  const orders: OrderResult[] = [];
  let status: CycleOutcome['status'] = 'completed';
  let error: string | undefined;

  try {
    const data = await market.fetchMarketData({
      market: config.market, symbols: config.symbols, timeframe: config.timeframe, limit: config.candleLimit, cursor: input.cursor,
    });
    if (data.exhausted) {
      return { status: 'exhausted', book, nextCursor, prices, equity: equity(book, prices), orders, tradedSymbols: [], dailyLossLimitHit };
    }
    nextCursor = data.nextCursor;
    for (const s of data.snapshots) prices[s.symbol] = s.candles[s.candles.length - 1][4];
    prices = { ...prices };

    featureVectors = await features.computeFeatures({ snapshots: data.snapshots });
    signals = await inference.inferSignals({ features: featureVectors });
    const plan = planTrades(signals, {
      book, prices, limits: config.risk, coolingSymbols: input.coolingSymbols, dailyHalt: input.dailyHalt,
    });
    dailyLossLimitHit = plan.dailyLossLimitHit;
    decisions = [...plan.refused];

    if (plan.proposals.length > 0) {
      verdicts = await llmFor(plan.proposals.length, config.llm.timeoutMs).validateTrades({
        proposals: plan.proposals,
        policy: config.llm,
        context: { portfolioId: input.portfolioId, cash: book.cash, equity: equity(book, prices), positions: book.positions },
      });
      const costRate = config.paper.feeRate + config.paper.slippageBps / 10_000;
      const assessed = await risk.assessTradeRisk({ proposals: plan.proposals, verdicts, context: { book, prices, limits: config.risk, costRate } });
      decisions = [...decisions, ...assessed];

      // Sells first so their proceeds can pay for the buys.
      const approved = assessed.filter((d) => d.approved).sort((a, b) => Number(a.side === 'buy') - Number(b.side === 'buy'));
      for (const decision of approved) {
        const result = await execution.placeOrder({
          request: {
            clientOrderId: clientOrderId(cycleId, decision.symbol, decision.side),
            portfolioId: input.portfolioId,
            cycleId,
            symbol: decision.symbol,
            side: decision.side,
            type: 'market',
            quantity: decision.quantity,
            referencePrice: decision.price,
          },
          mode: config.mode,
          market: config.market,
          timeframe: config.timeframe,
          cursor: nextCursor,
          paper: config.paper,
          balances: { cash: book.cash, position: book.positions[decision.symbol]?.quantity ?? 0 },
        });
        orders.push(result);
        for (const fill of result.fills) book = applyFill(book, result.symbol, result.side, fill);
      }
    }
  } catch (err) {
    status = 'failed';
    error = describeFailure(err);
  }

  const marked = equity(book, prices);
  const record: CycleRecord = {
    cycleId, portfolioId: input.portfolioId, cycleNo: input.cycleNo, mode: config.mode, market: config.market,
    status, error, startedAt, finishedAt: workflowNow(),
    features: featureVectors, signals, verdicts, decisions, orders, book, prices, equity: marked,
  };
  try {
    await recorder.recordCycle(record);
  } catch (err) {
    // The orders are already saved by the execution activity; the book below still carries every fill.
    status = 'failed';
    error = `${error ? `${error}; ` : ''}recording failed: ${describeFailure(err)}`;
  }
  const tradedSymbols = orders.filter((o) => o.filledQuantity > 0).map((o) => o.symbol);
  return { status, error, book, nextCursor, prices, equity: marked, orders, tradedSymbols, dailyLossLimitHit };
}
