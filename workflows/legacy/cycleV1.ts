/**
 * FROZEN: the first version of the trading cycle, kept only so that cycle histories recorded before the risk
 * engine (patch 'risk-engine-v2', see tradingCycle.ts) still replay, and so that a cycle that was in flight during
 * the upgrade finishes as it began. Do not change it; delete it with the patch once no such cycle can be running.
 */
import { workflowInfo } from '@temporalio/workflow';
// The one describeFailure (it was a copy here): the same words for every failure a workflow sees.
import { describeFailure } from '../../domain/failures';
import { clientOrderId } from '../../domain/ids';
import { applyFill, equity } from '../../domain/ledger';
import type { CycleRecord, FeatureVector, LlmVerdict, OrderResult, RiskDecision, Signal } from '../../domain/types';
import { workflowNow } from '../workflowClock';
import { execution, features, inference, llmFor, market, recorder, risk } from '../activityProxies';
import type { CycleInput, CycleOutcome } from '../../domain/cycle';
import { planTrades } from './planTradesV1';


export async function tradingCycleV1(input: CycleInput): Promise<CycleOutcome> {
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
      book, prices, limits: config.risk, coolingSymbols: input.coolingSymbols ?? [], dailyHalt: input.dailyHalt ?? false,
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
      // The first version's input shape; activities/risk.ts still accepts it.
      const assessed = await risk.assessTradeRisk({ proposals: plan.proposals, verdicts, context: { book, prices, limits: config.risk, costRate } } as never);
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
