/**
 * Everything a trading cycle does to the outside world, as one interface. The cycle workflow implements it with
 * Temporal activities (durable, retried, recorded in history); the backtester implements it in process over
 * preloaded candles with the paper broker's pure fill rules. The decisions between those calls are runCycle's,
 * the one implementation both share: a backtest trades as the live system would.
 *
 * The effects are the contracts of domain/contracts, which the activities implement.
 */
import type { CycleActivities } from '../contracts';
import type { summarizeMarket } from '../marketStats';
import type { StrategyOutcome } from '../strategies';
import type { ProposeStrategiesInput } from './strategyStep';

/**
 * An activity as an effect: the workflow's proxy returns its promise; the backtester may answer at once, and the
 * cycle then goes on without a suspension (each await of a trivial answer cost a backtest ~70 ns and ~200 bytes).
 */
type Effect<F extends (...args: never[]) => Promise<unknown>> = (...args: Parameters<F>) => ReturnType<F> | Awaited<ReturnType<F>>;

/** Whether an effect answered with a promise (any thenable: a check that holds across realms, unlike instanceof). */
export function isPromise<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

export interface CycleEffects {
  /** The cycle's id: the key every record and client order id hangs from. */
  cycleId: string;
  /** Current time (workflow time in a workflow, market time in a backtest), ms UTC. */
  now(): number;
  /** Whether a versioned change applies (Temporal's patched(); always true in a backtest). */
  patched(id: string): boolean;
  warn(message: string, attributes?: Record<string, unknown>): void;
  /**
   * false: skip the cycle's risk report (score, VaR, limit usage), which feeds metrics and the `risk` query only and
   * never a decision. The backtester reports on the whole run instead.
   */
  reportRisk?: boolean;
  /**
   * The per-symbol market statistics, when the implementation has a faster way to the exact same values (the
   * backtester reads true ranges and returns it computes once per series). Absent: summarizeMarket
   * (domain/marketStats.ts) over the snapshot's candles, as the cycle workflow does.
   */
  summarizeMarket?: typeof summarizeMarket;
  /**
   * The strategy engine (pure): the workflow prepares indicators over the fetched candles each cycle; the
   * backtester reads columns it prepared once over all of history. Same values either way (finite memory).
   */
  proposeStrategies(input: ProposeStrategiesInput): StrategyOutcome;
  /** A failure as `Type: message`, unwrapping Temporal's activity failures. */
  describeFailure(err: unknown): string;

  fetchMarketData: Effect<CycleActivities['fetchMarketData']>;
  reconcileAccount: Effect<CycleActivities['reconcileAccount']>;
  computeFeatures: Effect<CycleActivities['computeFeatures']>;
  inferSignals: Effect<CycleActivities['inferSignals']>;
  validateTrades: CycleActivities['validateTrades'];
  assessTradeRisk: CycleActivities['assessTradeRisk'];
  placeOrder: CycleActivities['placeOrder'];
  pollOrder: CycleActivities['pollOrder'];
  cancelOrder: CycleActivities['cancelOrder'];
  placeProtectiveStop: CycleActivities['placeProtectiveStop'];
  recordCycle: Effect<CycleActivities['recordCycle']>;
  scoreMatureSignals: Effect<CycleActivities['scoreMatureSignals']>;
}
