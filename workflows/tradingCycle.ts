/**
 * One trading cycle, visible as its own workflow: market data, protective exits, features, signals, LLM check,
 * risk and sizing, orders, record. It never throws once it has started: a failure is recorded with everything
 * gathered so far, and the orders that were placed are returned so the portfolio's book always matches what was
 * filled. Protective exits run before the model: a broken model never keeps a stop from firing.
 */
import { ActivityFailure, ApplicationFailure, log, patched, workflowInfo } from '@temporalio/workflow';
import { REFERENCE_SYMBOL } from '../domain/referenceMarket';
import { timeframeToMs } from '../domain/candles';
import type { PortfolioConfig } from '../domain/config';
import { clientOrderId, cycleIdPrefix } from '../domain/ids';
import { bookOrder, type CycleTrade } from '../domain/bookOrder';
import { equity } from '../domain/ledger';
import { summarizeMarket, type MarketStats } from '../domain/marketStats';
import {
  needsLlm, planTrades, pricesOf, protectiveExits, riskReport, type CooldownBook,
} from '../domain/risk';
import type {
  CycleRecord, FeatureVector, LlmVerdict, MarketCursor, OrderResult, PortfolioBook, RiskDecision, RiskReport, Side, Signal, TradeStats,
} from '../domain/types';
import { workflowNow } from '../domain/workflowClock';
import { execution, features, inference, llmFor, market, monitoring, recorder, risk } from './activityProxies';
import { tradingCycleV1 } from './legacy/cycleV1';

/** Marks histories made by this version of the cycle; older ones replay through tradingCycleV1. */
export const RISK_ENGINE_PATCH = 'risk-engine-v2';
/** Reconciliation of the book with the account at the start of each cycle. */
const RECONCILE_PATCH = 'reconcile-account';
/** Scoring of matured signals after each cycle. */
const SIGNAL_MONITORING_PATCH = 'signal-monitoring';

export interface CycleInput {
  portfolioId: string;
  cycleNo: number;
  config: PortfolioConfig;
  book: PortfolioBook;
  cursor: MarketCursor;
  cooldowns?: CooldownBook;
  /** Set once the daily loss limit fired in the current trading day. */
  dailyHalt?: boolean;
  /** Why the portfolio is halted (drawdown, emergency stop), if it is. */
  halt?: string;
  tradeStats?: TradeStats;
  /** Notional already traded in the current trading day. */
  dailyNotional?: number;
  /** First version only: symbols with a buy cooldown. */
  coolingSymbols?: string[];
}

export type { CycleTrade } from '../domain/bookOrder';

export interface CycleOutcome {
  status: 'completed' | 'failed' | 'exhausted';
  error?: string;
  /** The book after this cycle's fills: the portfolio adopts it as is. */
  book: PortfolioBook;
  nextCursor: MarketCursor;
  prices: Record<string, number>;
  equity: number;
  orders: OrderResult[];
  /** Symbols that got a fill (first version's cooldowns). */
  tradedSymbols: string[];
  trades?: CycleTrade[];
  dailyLossLimitHit: boolean;
  risk?: RiskReport;
}

export function describeFailure(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause ?? err : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

export async function tradingCycleWorkflow(input: CycleInput): Promise<CycleOutcome> {
  if (!patched(RISK_ENGINE_PATCH)) return tradingCycleV1(input);

  const { config } = input;
  const limits = config.risk;
  const startedAt = workflowNow();
  const cycleId = workflowInfo().workflowId;
  let book = input.book;
  let nextCursor = input.cursor;
  let stats: Record<string, MarketStats> = {};
  let featureVectors: FeatureVector[] = [];
  let signals: Signal[] = [];
  let verdicts: LlmVerdict[] = [];
  let decisions: RiskDecision[] = [];
  let dailyLossLimitHit = false;
  const orders: OrderResult[] = [];
  const trades: CycleTrade[] = [];
  const errors: string[] = [];

  try {
    // The features of every symbol include its relation to BTC, so BTC/USDT comes along even when not traded;
    // it goes last because replays advance on the first symbol's candles.
    const fetched = config.symbols.includes(REFERENCE_SYMBOL) ? config.symbols : [...config.symbols, REFERENCE_SYMBOL];
    const data = await market.fetchMarketData({
      market: config.market, symbols: fetched, timeframe: config.timeframe, limit: config.candleLimit, cursor: input.cursor,
    });
    if (data.exhausted) {
      return { status: 'exhausted', book, nextCursor, prices: {}, equity: equity(book, {}), orders, tradedSymbols: [], trades, dailyLossLimitHit };
    }
    nextCursor = data.nextCursor;
    const tfMs = timeframeToMs(config.timeframe);
    const maxReturns = Math.round((limits.correlationWindowDays * 86_400_000) / tfMs);
    const traded = data.snapshots.filter((s) => config.symbols.includes(s.symbol));
    const reference = data.snapshots.find((s) => s.symbol === REFERENCE_SYMBOL);
    stats = Object.fromEntries(traded.map((s) => [s.symbol, summarizeMarket(s.symbol, s.candles, tfMs, maxReturns)]));

    if (patched(RECONCILE_PATCH)) {
      // The account (the exchange, or the paper broker's record of fills) is the truth about what is held: drift is
      // recorded by the activity and the corrected book adopted before anything is decided on it.
      const reconciled = await execution.reconcileAccount({
        mode: config.mode, market: config.market, portfolioId: input.portfolioId, symbols: config.symbols,
        initialCash: config.initialCash, cycleId, book, prices: pricesOf(stats), cyclePrefix: cycleIdPrefix(cycleId),
      });
      if (!reconciled.inSync) {
        log.warn('book corrected to the account', { drifts: reconciled.drifts });
        book = reconciled.corrected;
      }
    }

    const guarded = protectiveExits(book, stats, limits);
    book = guarded.book;
    try {
      featureVectors = await features.computeFeatures({ snapshots: traded, reference });
      signals = await inference.inferSignals({ features: featureVectors });
    } catch (err) {
      errors.push(`signals unavailable, only protective exits ran: ${describeFailure(err)}`);
    }

    const plan = planTrades(signals, {
      book, stats, limits, cooldowns: input.cooldowns ?? {}, now: workflowNow(), dailyHalt: input.dailyHalt ?? false, halt: input.halt, exits: guarded.exits,
    });
    dailyLossLimitHit = plan.dailyLossLimitHit;
    decisions = [...plan.refused];
    const asked = plan.proposals.filter(needsLlm);
    const prices = pricesOf(stats);
    if (asked.length > 0) {
      verdicts = await llmFor(asked.length, config.llm.timeoutMs).validateTrades({
        proposals: asked,
        policy: config.llm,
        context: { portfolioId: input.portfolioId, cash: book.cash, equity: equity(book, prices), positions: book.positions },
      });
    }
    if (plan.proposals.length > 0) {
      const costRate = config.paper.feeRate + config.paper.slippageBps / 10_000;
      const assessed = await risk.assessTradeRisk({
        proposals: plan.proposals,
        verdicts: Object.fromEntries(verdicts.map((v) => [v.symbol, v])),
        context: { book, stats, limits, costRate, tradeStats: input.tradeStats ?? { wins: 0, losses: 0, grossWin: 0, grossLoss: 0 }, dailyNotional: input.dailyNotional ?? 0 },
      });
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
        book = bookOrder(book, result, stats[result.symbol], limits, workflowNow(), trades);
      }
    }
  } catch (err) {
    errors.push(describeFailure(err));
  }

  const prices = pricesOf(stats);
  const marked = equity(book, prices);
  const status: CycleOutcome['status'] = errors.length ? 'failed' : 'completed';
  let error = errors.length ? errors.join('; ') : undefined;
  const report = riskReport(book, stats, signals, limits, {
    dailyNotional: (input.dailyNotional ?? 0) + trades.reduce((s, t) => s + t.notional, 0), asOf: workflowNow(),
  });
  const record: CycleRecord = {
    cycleId, portfolioId: input.portfolioId, cycleNo: input.cycleNo, mode: config.mode, market: config.market,
    status, error, startedAt, finishedAt: workflowNow(),
    features: featureVectors, signals, verdicts, decisions, orders, book, prices, equity: marked, risk: report,
  };
  let finalStatus = status;
  try {
    await recorder.recordCycle(record);
  } catch (err) {
    // The orders are already saved by the execution activity; the book below still carries every fill.
    finalStatus = 'failed';
    error = `${error ? `${error}; ` : ''}recording failed: ${describeFailure(err)}`;
  }
  if (patched(SIGNAL_MONITORING_PATCH)) {
    // Scores earlier signals whose horizon has passed (hit rate against confidence, per model version).
    // Monitoring only: its failure never fails the cycle.
    try {
      await monitoring.scoreMatureSignals({ portfolioId: input.portfolioId });
    } catch (err) {
      log.warn('signal scoring failed', { error: describeFailure(err) });
    }
  }
  return {
    status: finalStatus, error, book, nextCursor, prices, equity: marked, orders,
    tradedSymbols: trades.map((t) => t.symbol), trades, dailyLossLimitHit, risk: report,
  };
}
