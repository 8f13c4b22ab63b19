/**
 * The portfolio's side of notifications, kept out of workflows/portfolio.ts but for one call at each place
 * something a trader cares about happens. Each call derives events with the pure rules of
 * domain/notifications/derive.ts and hands them to the notifier without waiting (./notifierLink.ts).
 *
 * Versioning: signalling the notifier is a workflow command, so every hand-over sits behind the patch below;
 * histories recorded before it replay without a single notification.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import type { CycleOutcome } from '../domain/cycle';
import { equity } from '../domain/ledger';
import * as derive from '../domain/notifications/derive';
import type { NotificationEvent } from '../domain/notifications/events';
import type { PortfolioBook } from '../domain/types';
import { workflowNow } from './workflowClock';
import type { Halt, PortfolioState } from './messages';
import { NotifierLink } from './notifierLink';
import type { PatchId } from './patches';

export const NOTIFICATIONS_PATCH: PatchId = 'notifications';

export type PortfolioNotices = ReturnType<typeof portfolioNotices>;

export function portfolioNotices(state: () => PortfolioState) {
  const s = state();
  const tracker = (): derive.NotifyTracker => state().notifications ?? derive.NEW_TRACKER;
  const link = new NotifierLink(s.config.portfolioId, [...(s.notifications?.outbox ?? [])]);
  const scope = (): derive.Scope => {
    const { config, instanceId } = state();
    return { scope: `${workflowInfo().workflowId}-${instanceId}`, portfolioId: config.portfolioId, mode: config.mode, quote: derive.quoteOf(config.symbols) };
  };
  const send = (events: readonly NotificationEvent[]) => {
    if (events.length === 0 || !patched(NOTIFICATIONS_PATCH)) return;
    link.send(events);
  };
  const keep = (result: derive.Derived) => {
    state().notifications = { ...result.tracker, outbox: undefined };
    send(result.events);
  };
  const view = (st: PortfolioState): derive.PortfolioView => ({ book: st.book, halt: st.halt, dailyHaltDay: st.dailyHaltDay, openOrders: st.openOrders });

  return {
    /** What the cycle's outcome is compared against: call before applying it. */
    before: (): derive.PortfolioView => view(state()),

    /** Fills, exits, halts, failures, drift and the LLM fallback rate of the cycle just applied. */
    afterCycle(before: derive.PortfolioView, outcome: CycleOutcome, cycleId: string): void {
      const st = state();
      keep(derive.cycleEvents(
        scope(), { ...outcome, cycleId, cycleNo: st.cycleNo }, before, view(st), tracker(), workflowNow(), st.config.risk.minOrderNotional,
      ));
    },

    /** The summary of the trading day that `ended` closed. */
    dayRolled(ended: PortfolioBook): void {
      const st = state();
      if (st.cycleNo === 0 || ended.day === st.book.day) return;
      keep(derive.dailySummary(scope(), ended, equity(st.book, st.lastPrices), st.lastPrices, tracker(), workflowNow()));
    },

    liquidationStarted(liquidationId: string, reason: string, sellPositions: boolean): void {
      send([derive.liquidationStarted(scope(), liquidationId, reason, sellPositions, state().book, workflowNow())]);
    },

    liquidationFinished(liquidationId: string, outcome: Parameters<typeof derive.liquidationFinished>[2]): void {
      send([derive.liquidationFinished(scope(), liquidationId, outcome, workflowNow())]);
    },

    emergencyStop(halt: Halt): void {
      send([derive.emergencyStop(scope(), halt, workflowNow())]);
    },

    haltEnded(halt: Halt): void {
      send([derive.haltEnded(scope(), halt, workflowNow())]);
    },

    /**
     * At the start of a run: sends what the previous run could not (its outbox), and a live portfolio's first run
     * (not a continue-as-new) tells that real money is now at stake.
     */
    started(): void {
      const { config } = state();
      const live = config.mode === 'live' && !workflowInfo().continuedFromExecutionRunId;
      if (link.outbox.length === 0 && !live) return;
      if (!patched(NOTIFICATIONS_PATCH)) return;
      link.send(live ? [derive.liveStarted(scope(), workflowInfo().runId, config.market, config.symbols, workflowNow())] : []);
    },

    /** Before continue-as-new or completion: what is not signalled yet goes into the state, for the next run. */
    async flush(): Promise<void> {
      await link.flushed();
      if (link.outbox.length > 0) state().notifications = { ...tracker(), outbox: [...link.outbox] };
    },
  };
}
