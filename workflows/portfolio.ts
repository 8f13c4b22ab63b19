/**
 * One long-running workflow per portfolio. It owns the durable state (cash, positions, protective levels,
 * cooldowns, halts, the market cursor) and runs one trading-cycle child per interval. Temporal's history is the
 * ledger's journal: a worker or server restart resumes exactly here.
 *
 * Versioning: portfolios run for months, across upgrades, so every change to the commands this workflow issues
 * sits behind a `patched()` marker and the committed histories of earlier versions keep replaying.
 */
import {
  ParentClosePolicy, allHandlersFinished, condition, continueAsNew, executeChild, log, patched, setHandler,
  sleep, upsertMemo, workflowInfo,
} from '@temporalio/workflow';
import { applyConfigPatch, applyRiskPatch, upgradeConfig, type ConfigPatch, type PortfolioConfig, type RiskPatch } from '../domain/config';
import { cycleWorkflowId } from '../domain/ids';
import { equity, newBook, nextTradingDayStart, rollDay, tradingDay } from '../domain/ledger';
import { afterTrades, cycleInputOf, portfolioStep } from '../domain/portfolioStep';
import { upgradeCooldowns, type Cooldown } from '../domain/risk';
import { TASK_QUEUES } from './queues';
import { clipText } from '../domain/stateBudget';
import { cycleSearchAttributes, portfolioMemo } from './visibility';
import { workflowNow } from './workflowClock';
import { liquidationWorkflow } from './liquidation';
import {
  emergencyStopSignal, pauseSignal, resumeSignal, riskQuery, setConfigUpdate, setRiskLimitsUpdate, statusQuery, stopSignal,
  type LastCycle, type PortfolioState,
} from './messages';
import { carriedState, sizeCallsForContinueAsNew, STATE_SIZE_PATCH } from './stateGuard';
import { tradingCycleWorkflow, type CycleOutcome } from './tradingCycle';
import { portfolioNotices } from './portfolioNotices';
import { checkedConfig, portfolioRisk, portfolioStatus } from './portfolioViews';
import type { PatchId } from './patches';

export interface PortfolioInput {
  config: PortfolioConfig;
  /** Carried by continue-as-new, or taken from a stopped run's result to resume it. */
  state?: PortfolioState;
}

/** Guard in case the server does not suggest continue-as-new (older servers never do). */
const MAX_HISTORY_EVENTS = 20_000;
/** Per-kind cooldown timers (buy, sell, hold) instead of one timer per traded symbol. */
const SIDE_COOLDOWNS_PATCH: PatchId = 'side-cooldowns';
/** A durable timer that rolls the trading day at its boundary, not only when a cycle starts. */
const DAILY_RESET_PATCH: PatchId = 'daily-reset-timer';
/** Drawdown halt and the liquidations that emergency stops and halts start. */
const RISK_CONTROLS_PATCH: PatchId = 'risk-controls';

/** Brings state saved by an earlier version (continue-as-new, resume) up to the current shape. */
function upgradeState(input: PortfolioInput): PortfolioState {
  if (!input.state) {
    const config = upgradeConfig(input.config);
    return {
      config, book: newBook(config.initialCash, workflowNow()), cursor: { time: null }, cooldowns: {}, paused: false, cycleNo: 0,
      lastPrices: {},
      // Stays the same across continue-as-new and resume, differs for a fresh portfolio reusing an id, so
      // cycle ids (and the client order ids derived from them) never collide with an earlier portfolio's.
      instanceId: workflowInfo().firstExecutionRunId.slice(0, 8),
    };
  }
  return { ...input.state, config: upgradeConfig(input.state.config), cooldowns: upgradeCooldowns(input.state.cooldowns) };
}

export async function portfolioWorkflow(input: PortfolioInput): Promise<PortfolioState> {
  const state = upgradeState(input);
  let stopping = false;
  let stopped = false;
  const cooldowns = () => state.cooldowns as Record<string, Cooldown>;
  const markedEquity = () => equity(state.book, state.lastPrices);
  const today = () => tradingDay(workflowNow(), state.config.risk.tradingDayOffsetMs);
  const liquidationPending = () => (state.liquidationsRequested ?? 0) > (state.liquidationsDone ?? 0);
  // Notifications: events handed to the portfolio's notifier workflow, never awaited (./portfolioNotices.ts).
  const notices = portfolioNotices(() => state);
  notices.started();

  setHandler(pauseSignal, (arg) => {
    state.paused = true;
    state.pauseReason = clipText(arg?.reason ?? 'paused by operator');
  });
  // Resume is the human decision that ends a halt too; the drawdown is measured afresh from here.
  setHandler(resumeSignal, () => {
    state.paused = false;
    state.pauseReason = undefined;
    if (state.halt) {
      log.info('halt ended by resume', { halt: state.halt });
      notices.haltEnded(state.halt);
      state.halt = undefined;
      state.peakEquity = markedEquity();
    }
  });
  setHandler(stopSignal, () => {
    stopping = true;
  });
  setHandler(emergencyStopSignal, (arg) => {
    const reason = clipText(arg?.reason ?? 'emergency stop by operator');
    if (state.halt?.kind !== 'emergency') {
      state.halt = { kind: 'emergency', reason, since: new Date(workflowNow()).toISOString() };
      notices.emergencyStop(state.halt);
    }
    // Idempotent: a second request while one is pending, or with nothing left to sell, adds nothing.
    if (liquidationPending()) state.liquidationSells = true;
    else if (Object.keys(state.book.positions).length > 0) requestLiquidation(true);
  });
  const configValidator = (patch: ConfigPatch) => checkedConfig(state, applyConfigPatch(state.config, patch as ConfigPatch & Record<string, unknown>), 'InvalidConfig');
  setHandler(
    setConfigUpdate,
    (patch: ConfigPatch) => {
      const config = configValidator(patch);
      if (config.market !== state.config.market) upsertMemo(portfolioMemo(config));
      state.config = config;
      return state.config;
    },
    // Rejected updates never reach history, so a bad value changes nothing and costs nothing.
    { validator: (patch: ConfigPatch) => void configValidator(patch) },
  );
  const riskValidator = (patch: RiskPatch) => checkedConfig(state, applyRiskPatch(state.config, patch), 'InvalidRiskLimits');
  setHandler(
    setRiskLimitsUpdate,
    (patch: RiskPatch) => {
      state.config = riskValidator(patch);
      return state.config.risk;
    },
    { validator: (patch: RiskPatch) => void riskValidator(patch) },
  );
  setHandler(statusQuery, () => portfolioStatus(state, stopped ? 'stopped' : stopping ? 'stopping' : state.paused ? 'paused' : 'running', today()));
  setHandler(riskQuery, () => portfolioRisk(state, today()));

  // Cooldowns are durable timers; after continue-as-new they are re-armed for the time that is left.
  const armCooldown = (key: string) => {
    const expire = () => {
      const c = cooldowns()[key];
      if (c !== undefined && c.until <= workflowNow()) delete cooldowns()[key];
    };
    const remaining = cooldowns()[key].until - workflowNow();
    if (remaining <= 0) expire();
    else void sleep(remaining).then(expire);
  };
  Object.keys(state.cooldowns).forEach(armCooldown);

  if (patched(DAILY_RESET_PATCH)) void rollDaysOnTime();

  while (!stopping) {
    await condition(() => !state.paused || stopping || liquidationPending());
    if (liquidationPending()) {
      // Checked here, not only when requested: a request handled just before the previous liquidation's result
      // was applied would otherwise start a second one with nothing left to sell.
      if (!state.liquidationSells || Object.keys(state.book.positions).length > 0) await liquidate(state.liquidationSells !== false);
      else state.liquidationsDone = state.liquidationsRequested;
      continue;
    }
    if (stopping) break;

    const ended = state.book;
    state.book = rollDay(state.book, workflowNow(), markedEquity(), state.config.risk.tradingDayOffsetMs);
    notices.dayRolled(ended);
    state.cycleNo += 1;
    const outcome = await runCycle();
    const before = notices.before();
    applyOutcome(outcome);
    notices.afterCycle(before, outcome, state.lastCycle!.workflowId);
    if (outcome.status === 'exhausted') {
      log.info('market replay exhausted: stopping the portfolio', { portfolioId: state.config.portfolioId });
      break;
    }

    const info = workflowInfo();
    if (
      info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS ||
      (patched(STATE_SIZE_PATCH) && sizeCallsForContinueAsNew(info.historySize, state.config, state))
    ) {
      await condition(allHandlersFinished);
      await notices.flush();
      return continueAsNew<typeof portfolioWorkflow>({ config: state.config, state: carriedState(state.config, state) });
    }
    // The interval is a durable timer; a stop or an emergency cuts it short.
    await condition(() => stopping || liquidationPending(), state.config.intervalMs);
  }
  stopped = true;
  await condition(allHandlersFinished);
  await notices.flush();
  return state;

  /** Rolls the trading day at its boundary, so daily limits reset on time even with long cycle intervals. */
  async function rollDaysOnTime(): Promise<void> {
    for (;;) {
      const offset = state.config.risk.tradingDayOffsetMs;
      const now = workflowNow();
      const changed = await condition(() => stopped || state.config.risk.tradingDayOffsetMs !== offset, nextTradingDayStart(now, offset) - now);
      if (stopped) return;
      if (!changed) {
        const ended = state.book;
        state.book = rollDay(state.book, workflowNow(), markedEquity(), offset);
        notices.dayRolled(ended);
        log.info('trading day rolled', { day: state.book.day, dayStartEquity: state.book.dayStartEquity });
      }
    }
  }

  async function runCycle(): Promise<CycleOutcome> {
    const parentId = workflowInfo().workflowId;
    const { config } = state;
    try {
      return await executeChild(tradingCycleWorkflow, {
        workflowId: cycleWorkflowId(parentId, state.instanceId, state.cycleNo),
        taskQueue: TASK_QUEUES.workflows,
        args: [cycleInputOf(state, { portfolioId: config.portfolioId, cycleNo: state.cycleNo, config, today: today() })],
        memo: portfolioMemo(config),
        typedSearchAttributes: cycleSearchAttributes(config),
        // A cycle that has placed orders must finish and report them even if the portfolio is closed meanwhile.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowRunTimeout: '1h',
      });
    } catch (err) {
      // Only reachable if the child itself could not run (timeout, termination): its orders, if any, are in the database.
      const message = err instanceof Error ? err.message : String(err);
      return {
        status: 'failed', error: `cycle workflow failed: ${message}`, book: state.book, nextCursor: state.cursor,
        prices: state.lastPrices, equity: markedEquity(), orders: [], tradedSymbols: [], dailyLossLimitHit: false,
      };
    }
  }

  /** The cycle's outcome through the portfolio's pure step (domain/portfolioStep.ts), then what it asks for, in order. */
  function applyOutcome(outcome: CycleOutcome): void {
    const step = portfolioStep(state, outcome, { now: workflowNow(), today: today(), limits: state.config.risk, sideCooldowns: patched(SIDE_COOLDOWNS_PATCH) });
    Object.assign(state, step.state);
    for (const action of step.actions) {
      if (action.kind === 'arm-cooldown') armCooldown(action.key);
      else if (patched(RISK_CONTROLS_PATCH)) {
        // Max drawdown from the peak halts the portfolio (and liquidates if configured) until a human resumes it.
        state.halt = action.halt;
        log.warn('drawdown halt', { halt: state.halt });
        // The emergency stop: open orders are always cancelled; positions are sold only if configured.
        requestLiquidation(action.sellPositions);
      }
    }
    state.lastCycle = {
      cycleNo: state.cycleNo,
      workflowId: cycleWorkflowId(workflowInfo().workflowId, state.instanceId, state.cycleNo),
      status: outcome.status,
      error: clipText(outcome.error),
      finishedAt: new Date(workflowNow()).toISOString(),
      orders: outcome.orders.length,
      equity: outcome.equity,
    } satisfies LastCycle;
  }

  function requestLiquidation(sellPositions: boolean): void {
    state.liquidationsRequested = (state.liquidationsRequested ?? 0) + 1;
    state.liquidationSells = sellPositions;
  }

  async function liquidate(sellPositions: boolean): Promise<void> {
    const n = (state.liquidationsDone ?? 0) + 1;
    // Counted as done whatever happens: a liquidation that fails must not be retried in a tight loop; the
    // halt stays, and the operator sees the failure in the halt reason and the liquidation's own history.
    state.liquidationsDone = n;
    const liquidationId = `${workflowInfo().workflowId}-${state.instanceId}-liquidation-${n}`;
    notices.liquidationStarted(liquidationId, state.halt?.reason ?? 'emergency stop', sellPositions);
    try {
      const outcome = await executeChild(liquidationWorkflow, {
        workflowId: liquidationId,
        taskQueue: TASK_QUEUES.workflows,
        args: [{
          portfolioId: state.config.portfolioId, cycleNo: state.cycleNo, config: state.config, book: state.book,
          cursor: state.cursor, prices: state.lastPrices, reason: state.halt?.reason ?? 'emergency stop', sellPositions,
        }],
        memo: portfolioMemo(state.config),
        typedSearchAttributes: cycleSearchAttributes(state.config),
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      state.book = outcome.book;
      Object.assign(state, afterTrades(state, outcome.trades, today()));
      // Every resting order was cancelled first; fills they got since the last poll reach the book through the
      // next cycle's reconciliation with the account. An order whose outcome is unknown could not be cancelled
      // (it cannot be seen): it stays followed, and its symbol held, until it is found.
      state.openOrders = (state.openOrders ?? []).filter((o) => o.status === 'unknown');
      if (outcome.errors.length && state.halt) state.halt = { ...state.halt, reason: clipText(`${state.halt.reason}; liquidation left positions open: ${outcome.errors.join('; ')}`) };
      notices.liquidationFinished(liquidationId, outcome);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      notices.liquidationFinished(liquidationId, { failure: message });
      if (state.halt) state.halt = { ...state.halt, reason: clipText(`${state.halt.reason}; liquidation failed: ${message}`) };
      log.error('liquidation failed', { error: message });
    }
  }
}
