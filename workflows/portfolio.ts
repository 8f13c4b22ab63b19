/**
 * One long-running workflow per portfolio. It owns the durable state (cash, positions, cooldowns, halts,
 * the market cursor) and runs one trading-cycle child per interval. Temporal's history is the ledger's
 * journal: a worker or server restart resumes exactly here.
 */
import {
  ApplicationFailure, ParentClosePolicy, condition, continueAsNew, executeChild, allHandlersFinished, log, setHandler,
  sleep, upsertMemo, workflowInfo,
} from '@temporalio/workflow';
import { applyConfigPatch, type ConfigPatch, type PortfolioConfig } from '../domain/config';
import { cycleWorkflowId } from '../domain/ids';
import { equity, newBook, rollDay, utcDay } from '../domain/ledger';
import { TASK_QUEUES } from '../domain/queues';
import { cycleSearchAttributes, portfolioMemo } from '../domain/visibility';
import { workflowNow } from '../domain/workflowClock';
import {
  pauseSignal, resumeSignal, setConfigUpdate, statusQuery, stopSignal, type LastCycle, type PortfolioState, type PortfolioStatus,
} from './messages';
import { tradingCycleWorkflow, type CycleOutcome } from './tradingCycle';

export interface PortfolioInput {
  config: PortfolioConfig;
  /** Carried by continue-as-new, or taken from a stopped run's result to resume it. */
  state?: PortfolioState;
}

/** Guard in case the server does not suggest continue-as-new (older servers never do). */
const MAX_HISTORY_EVENTS = 20_000;

export async function portfolioWorkflow(input: PortfolioInput): Promise<PortfolioState> {
  const state: PortfolioState = input.state ?? {
    config: input.config,
    book: newBook(input.config.initialCash, workflowNow()),
    cursor: { time: null },
    cooldowns: {},
    paused: false,
    cycleNo: 0,
    lastPrices: {},
    // Stays the same across continue-as-new and resume, differs for a fresh portfolio reusing an id, so
    // cycle ids (and the client order ids derived from them) never collide with an earlier portfolio's.
    instanceId: workflowInfo().firstExecutionRunId.slice(0, 8),
  };
  let stopping = false;
  let stopped = false;

  setHandler(pauseSignal, (arg) => {
    state.paused = true;
    state.pauseReason = arg?.reason ?? 'paused by operator';
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
    state.pauseReason = undefined;
  });
  setHandler(stopSignal, () => {
    stopping = true;
  });
  setHandler(
    setConfigUpdate,
    (patch: ConfigPatch) => {
      const check = applyConfigPatch(state.config, patch as ConfigPatch & Record<string, unknown>);
      if (!check.ok) throw ApplicationFailure.nonRetryable(check.reason, 'InvalidConfig');
      if (check.config.market !== state.config.market) upsertMemo(portfolioMemo(check.config));
      state.config = check.config;
      return state.config;
    },
    {
      // Rejected updates never reach history, so a bad value changes nothing and costs nothing.
      validator: (patch: ConfigPatch) => {
        const check = applyConfigPatch(state.config, patch as ConfigPatch & Record<string, unknown>);
        if (!check.ok) throw ApplicationFailure.nonRetryable(check.reason, 'InvalidConfig');
      },
    },
  );
  setHandler(statusQuery, (): PortfolioStatus => ({
    portfolioId: state.config.portfolioId,
    mode: state.config.mode,
    market: state.config.market,
    state: stopped ? 'stopped' : stopping ? 'stopping' : state.paused ? 'paused' : 'running',
    pauseReason: state.pauseReason,
    cash: state.book.cash,
    equity: equity(state.book, state.lastPrices),
    positions: Object.values(state.book.positions),
    realizedPnlToday: state.book.realizedPnlToday,
    dailyHalt: state.dailyHaltDay === utcDay(workflowNow()),
    cooldowns: Object.entries(state.cooldowns).map(([symbol, until]) => ({ symbol, until: new Date(until).toISOString() })),
    // Finished cycles: the one in flight, if any, is not counted until its outcome is applied.
    cyclesRun: state.lastCycle?.cycleNo ?? 0,
    lastCycle: state.lastCycle,
    config: state.config,
  }));

  // Cooldowns are durable timers; after continue-as-new they are re-armed for the time that is left.
  const armCooldown = (symbol: string) => {
    const remaining = state.cooldowns[symbol] - workflowNow();
    const expire = () => {
      if (state.cooldowns[symbol] !== undefined && state.cooldowns[symbol] <= workflowNow()) delete state.cooldowns[symbol];
    };
    if (remaining <= 0) expire();
    else void sleep(remaining).then(expire);
  };
  Object.keys(state.cooldowns).forEach(armCooldown);

  while (!stopping) {
    await condition(() => !state.paused || stopping);
    if (stopping) break;

    state.book = rollDay(state.book, workflowNow(), equity(state.book, state.lastPrices));
    state.cycleNo += 1;
    const outcome = await runCycle(state);
    applyOutcome(state, outcome, armCooldown);
    if (outcome.status === 'exhausted') {
      log.info('market replay exhausted: stopping the portfolio', { portfolioId: state.config.portfolioId });
      break;
    }

    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof portfolioWorkflow>({ config: state.config, state });
    }
    // The interval is a durable timer; a stop cuts it short.
    await condition(() => stopping, state.config.intervalMs);
  }
  stopped = true;
  await condition(allHandlersFinished);
  return state;
}

async function runCycle(state: PortfolioState): Promise<CycleOutcome> {
  const parentId = workflowInfo().workflowId;
  const { config } = state;
  try {
    return await executeChild(tradingCycleWorkflow, {
      workflowId: cycleWorkflowId(parentId, state.instanceId, state.cycleNo),
      taskQueue: TASK_QUEUES.workflows,
      args: [{
        portfolioId: config.portfolioId,
        cycleNo: state.cycleNo,
        config,
        book: state.book,
        cursor: state.cursor,
        coolingSymbols: Object.keys(state.cooldowns),
        dailyHalt: state.dailyHaltDay === utcDay(workflowNow()),
      }],
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
      prices: state.lastPrices, equity: equity(state.book, state.lastPrices), orders: [], tradedSymbols: [], dailyLossLimitHit: false,
    };
  }
}

function applyOutcome(state: PortfolioState, outcome: CycleOutcome, armCooldown: (symbol: string) => void): void {
  state.book = outcome.book;
  state.cursor = outcome.nextCursor;
  state.lastPrices = { ...state.lastPrices, ...outcome.prices };
  if (outcome.dailyLossLimitHit) state.dailyHaltDay = utcDay(workflowNow());
  const until = workflowNow() + state.config.cooldownMs;
  for (const symbol of new Set(outcome.tradedSymbols)) {
    if (state.config.cooldownMs <= 0) continue;
    state.cooldowns[symbol] = until;
    armCooldown(symbol);
  }
  const last: LastCycle = {
    cycleNo: state.cycleNo,
    workflowId: cycleWorkflowId(workflowInfo().workflowId, state.instanceId, state.cycleNo),
    status: outcome.status,
    error: outcome.error,
    finishedAt: new Date(workflowNow()).toISOString(),
    orders: outcome.orders.length,
    equity: outcome.equity,
  };
  state.lastCycle = last;
}
