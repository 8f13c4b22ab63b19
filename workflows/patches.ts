/**
 * Every patch id the workflows ask `patched()` about, in one register: what it guards, when it came, when it may go.
 * The cycle's own ids are declared beside the code they guard in domain/cycle (the domain cannot import this
 * folder); tests/unit/patches.test.ts holds both to this register and to the markers of the committed histories.
 *
 * Lifecycle (Temporal's patching API): `patched(id)` while histories without the marker may still replay; then
 * `deprecatePatch(id)` with the old branch deleted, once no run that began before the patch can be running AND no
 * committed history without its marker is kept; then the id is removed. None is deprecated today: the committed
 * histories of every version since v1 replay in tests/replay, and each id has histories recorded before it, which
 * replay through its old branch (v1 has no marker at all). A deprecated id would send them down the new branch.
 *
 * How long an old run can live: a cycle at most 1 h (its workflowRunTimeout) and a liquidation minutes, so their ids
 * wait only for their histories to be retired; a portfolio runs for months, so its ids also wait until every
 * portfolio started before them has continued as new (a new run takes the new code) or ended.
 */

export interface PatchEntry {
  /** The workflow whose commands it guards. */
  workflow: 'portfolio' | 'cycle' | 'liquidation' | 'retraining';
  guards: string;
  /** The version (tests/replay/histories label) that brought it, and the date. */
  added: string;
  removable: string;
}

const CYCLE_REMOVABLE = 'once the histories recorded before it are retired from tests/replay (a cycle that began before it ended within 1 h)';
const PORTFOLIO_REMOVABLE = 'once every portfolio started before it has continued as new or ended, and the histories recorded before it are retired';

export const PATCHES = {
  'risk-engine-v2': {
    workflow: 'cycle', added: 'v2-risk-engine, 2026-11-21', removable: `${CYCLE_REMOVABLE}; then workflows/legacy/ goes too`,
    guards: 'the cycle runs runCycle (risk engine, protective exits) instead of the first cycle, tradingCycleV1',
  },
  'daily-reset-timer': {
    workflow: 'portfolio', added: 'v2-risk-engine, 2026-11-21', removable: PORTFOLIO_REMOVABLE,
    guards: 'a durable timer rolls the trading day at its boundary, not only when a cycle starts',
  },
  'side-cooldowns': {
    workflow: 'portfolio', added: 'v2-risk-engine, 2026-11-21', removable: PORTFOLIO_REMOVABLE,
    guards: "per-kind cooldown timers (buy, sell, hold) instead of one buy timer per traded symbol",
  },
  'risk-controls': {
    workflow: 'portfolio', added: 'v2-risk-engine, 2026-11-21', removable: PORTFOLIO_REMOVABLE,
    guards: 'the drawdown halt and the liquidation child it starts (its marker is written at the first halt)',
  },
  'reconcile-account': {
    workflow: 'cycle', added: 'v3-execution-monitoring, 2026-11-21', removable: CYCLE_REMOVABLE,
    guards: 'the reconcileAccount activity at the start of each cycle',
  },
  'signal-monitoring': {
    workflow: 'cycle', added: 'v3-execution-monitoring, 2026-11-21', removable: CYCLE_REMOVABLE,
    guards: 'the scoreMatureSignals activity after each cycle',
  },
  'cancel-open-orders': {
    workflow: 'liquidation', added: 'v3-execution-monitoring, 2026-11-21', removable: CYCLE_REMOVABLE,
    guards: "the cancelAllOpenOrders activity before a liquidation's sells",
  },
  'resting-orders': {
    workflow: 'cycle', added: 'v4-strategies-resting-orders, 2026-11-21', removable: CYCLE_REMOVABLE,
    guards: 'resting orders polled, booked and cancelled after their time in force (pollOrder, cancelOrder)',
  },
  'strategy-engine': {
    workflow: 'cycle', added: 'v4-strategies-resting-orders, 2026-11-21', removable: CYCLE_REMOVABLE,
    guards: 'the strategy engine instead of the model signals alone (portfolios configured with strategies)',
  },
  'native-stops': {
    workflow: 'cycle', added: 'v4-strategies-resting-orders, 2026-11-21', removable: CYCLE_REMOVABLE,
    guards: 'protective stops resting as stop orders (placeProtectiveStop; portfolios with orders.stops: native)',
  },
  'model-timeframe-candles': {
    workflow: 'cycle', added: 'v5-model-timeframe, 2026-11-21', removable: CYCLE_REMOVABLE,
    guards: "a second fetchMarketData of the model's 1h candles in a cycle on another timeframe",
  },
  'exits-always-fire': {
    workflow: 'cycle', added: 'v6-exits-always-fire, 2026-12-01', removable: CYCLE_REMOVABLE,
    guards: 'failed stages recorded while the exits go on; dust; entry top-ups; the exits decided in the workflow when the risk activity fails',
  },
  'unknown-order-outcomes': {
    workflow: 'cycle', added: 'v6-live-safety, 2026-12-01', removable: `${CYCLE_REMOVABLE}; no committed history has an unknown order yet`,
    guards: 'an order of unknown outcome kept in the open orders and looked for again every cycle (pollOrder)',
  },
  'state-size-guard': {
    workflow: 'portfolio', added: 'v6-live-safety, 2026-12-01', removable: PORTFOLIO_REMOVABLE,
    guards: "continue-as-new on the history's bytes or the carried state's size (./stateGuard.ts)",
  },
  notifications: {
    workflow: 'portfolio', added: 'v6-notifications, 2026-12-01', removable: PORTFOLIO_REMOVABLE,
    guards: "signals to the portfolio's notifier workflow (./portfolioNotices.ts)",
  },
  'retraining-notifications': {
    workflow: 'retraining', added: 'v6-notifications, 2026-12-01', removable: 'once the histories recorded before it are retired (a retraining run lasts hours)',
    guards: "the retraining decision signalled to the system notifier",
  },
} as const satisfies Record<string, PatchEntry>;

export type PatchId = keyof typeof PATCHES;
