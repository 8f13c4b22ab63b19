/**
 * The rules that turn what the portfolio saw (a cycle's outcome, its own state before and after, a liquidation, a
 * day roll, an operator's signal) into notification events. Pure and deterministic: the portfolio workflow runs them,
 * so an event's id and existence are the same on every replay.
 *
 * Versioning: whether a rule yields an event decides whether the portfolio signals its notifier, a workflow command.
 * A change that makes an event appear where none did (or vanish) therefore needs its own patched() id at the call in
 * workflows/portfolioNotices.ts; changes to an event's wording, severity or figures do not.
 */
import type { CycleTrade } from '../bookOrder';
import type { RestingOrder } from '../cycle/restingOrders';
import { effectiveStop } from '../risk/exits';
import type { OrderResult, PortfolioBook } from '../types';
import type { CycleNotices } from './cycleNotices';
import { event, type NotificationEvent, type Severity } from './events';

/** Consecutive failed cycles before `cycle.failing`. */
export const FAILURE_STREAK = 3;
/** The LLM fallback rate is measured over the verdicts of this many recent cycles that asked the LLM. */
export const LLM_WINDOW_CYCLES = 10;
export const LLM_MIN_VERDICTS = 5;
/** `llm.fallback_rate` fires at this share of fallbacks, and re-arms only once the share falls below the second. */
export const LLM_ALERT_RATE = 0.5;
export const LLM_CLEAR_RATE = 0.25;

/** The portfolio's notification bookkeeping, carried across continue-as-new in its state. */
export interface NotifyTracker {
  failureStreak: number;
  /** The cycle that started the current failure streak. */
  streakStart?: string;
  llmWindow: { verdicts: number; fallbacks: number }[];
  llmAlerting: boolean;
  /** Orders filled in the current trading day, for the daily summary. */
  day?: { day: string; orders: number };
  /** When the last cycle that completed finished (ISO): the `status` query shows it, the alert rules read it. */
  lastCompletedAt?: string;
  /** Events the notifier has not acknowledged yet; sent again by the next run after continue-as-new. */
  outbox?: NotificationEvent[];
}

export const NEW_TRACKER: NotifyTracker = { failureStreak: 0, llmWindow: [], llmAlerting: false };

/** Who the events are about. `scope` (the portfolio workflow id and instance) makes every id unique across portfolios. */
export interface Scope {
  scope: string;
  portfolioId: string;
  mode: 'paper' | 'live';
  /** The quote currency the book is kept in (USDT). */
  quote: string;
}

export interface HaltView {
  kind: string;
  reason: string;
  since: string;
}

/** The slice of the portfolio's state the rules compare before and after a cycle. */
export interface PortfolioView {
  book: PortfolioBook;
  halt?: HaltView;
  dailyHaltDay?: string;
  openOrders?: readonly RestingOrder[];
}

export interface CycleFacts {
  cycleId: string;
  cycleNo: number;
  status: 'completed' | 'failed' | 'exhausted';
  error?: string;
  orders: readonly OrderResult[];
  trades?: readonly CycleTrade[];
  prices: Record<string, number>;
  notices?: CycleNotices;
}

export interface Derived {
  events: NotificationEvent[];
  tracker: NotifyTracker;
}

const RULE_KIND = { 'stop-loss': 'exit.stop_loss', 'trailing-stop': 'exit.trailing_stop', 'take-profit': 'exit.take_profit' } as const;
const RULE_NAME: Record<string, string> = { 'stop-loss': 'Stop-loss', 'trailing-stop': 'Trailing stop', 'take-profit': 'Take-profit' };

export function money(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : String(n);
}

function qty(n: number): string {
  return Number(n.toPrecision(8)).toString();
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${money(n)}`;
}

export function quoteOf(symbols: readonly string[]): string {
  return symbols[0]?.split('/')[1] ?? 'USDT';
}

/** One order's fills of this cycle, summed. */
interface OrderFills {
  clientOrderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  notional: number;
  fee: number;
  realizedPnl: number;
}

function byOrder(trades: readonly CycleTrade[]): OrderFills[] {
  const orders = new Map<string, OrderFills>();
  for (const t of trades) {
    const key = t.clientOrderId ?? `${t.symbol}|${t.side}`;
    const o = orders.get(key) ?? { clientOrderId: key, symbol: t.symbol, side: t.side, quantity: 0, notional: 0, fee: 0, realizedPnl: 0 };
    o.quantity += t.quantity ?? t.notional / t.price;
    o.notional += t.notional;
    o.fee += t.fee ?? 0;
    o.realizedPnl += t.realizedPnl;
    orders.set(key, o);
  }
  return [...orders.values()];
}

const avgPrice = (o: OrderFills) => (o.quantity > 0 ? o.notional / o.quantity : 0);

function base(s: Scope, time: number) {
  return { portfolioId: s.portfolioId, mode: s.mode, time: new Date(time).toISOString() };
}

/** Events of one cycle: fills, protective exits (and those that could not be executed), halts, failures, drift, LLM. */
export function cycleEvents(
  s: Scope, cycle: CycleFacts, before: PortfolioView, after: PortfolioView, tracker: NotifyTracker, now: number, minOrderNotional: number,
): Derived {
  const events: NotificationEvent[] = [];
  const at = base(s, now);
  const fills = byOrder(cycle.trades ?? []);

  // Protective exits: those the cycle checked on the candle, and native stop orders that filled on the exchange.
  const exits = new Map<string, { rule: string; detail: string }>();
  for (const e of cycle.notices?.protectiveExits ?? []) if (!exits.has(e.symbol)) exits.set(e.symbol, e);
  const restingStops = new Set((before.openOrders ?? []).filter((o) => o.request.type === 'stop').map((o) => o.request.clientOrderId));
  for (const f of fills) {
    if (f.side !== 'sell' || !restingStops.has(f.clientOrderId) || exits.has(f.symbol)) continue;
    const protection = before.book.positions[f.symbol]?.protection;
    const trailing = protection ? effectiveStop(protection).trailing : false;
    exits.set(f.symbol, { rule: trailing ? 'trailing-stop' : 'stop-loss', detail: 'the stop order resting on the exchange filled' });
  }

  const notExecuted = new Map<string, { rule?: string; reason: string }>();
  for (const e of cycle.notices?.exitsNotExecuted ?? []) notExecuted.set(e.symbol, e);
  for (const [symbol, exit] of exits) {
    const sold = fills.filter((f) => f.symbol === symbol && f.side === 'sell');
    const quantity = sold.reduce((n, f) => n + f.quantity, 0);
    const notional = sold.reduce((n, f) => n + f.notional, 0);
    const pnl = sold.reduce((n, f) => n + f.realizedPnl, 0);
    const held = before.book.positions[symbol]?.quantity ?? 0;
    const left = after.book.positions[symbol]?.quantity ?? 0;
    const price = cycle.prices[symbol] ?? (quantity > 0 ? notional / quantity : 0);
    if (quantity > 0) {
      const kind = RULE_KIND[exit.rule as keyof typeof RULE_KIND] ?? 'exit.stop_loss';
      events.push(event(kind, {
        id: `exit:${cycle.cycleId}:${symbol}`, ...at,
        title: `${RULE_NAME[exit.rule] ?? exit.rule} hit on ${symbol}: sold ${qty(quantity)} at ${money(notional / quantity)}, P&L ${signed(pnl)} ${s.quote}`,
        text: exit.detail,
        data: { symbol, rule: exit.rule, quantity, avgPrice: notional / quantity, realizedPnl: pnl, cycleId: cycle.cycleId, clientOrderIds: sold.map((f) => f.clientOrderId) },
      }));
    }
    // What is left below the exchange minimum is dust that cannot be sold, not a failed exit.
    if (left * price >= minOrderNotional && !notExecuted.has(symbol)) {
      const refused = cycle.orders.find((o) => o.symbol === symbol && o.side === 'sell' && o.rejectReason);
      const reason = refused?.rejectReason ?? cycle.error ?? 'no sell order filled';
      notExecuted.set(symbol, { rule: exit.rule, reason: quantity > 0 ? `sold ${qty(quantity)} of ${qty(held)}, ${qty(left)} left: ${reason}` : reason });
    }
  }
  for (const [symbol, e] of notExecuted) {
    events.push(event('exit.not_executed', {
      id: `exit-not-executed:${cycle.cycleId}:${symbol}`, ...at,
      title: `${e.rule ? `${RULE_NAME[e.rule] ?? e.rule} on ${symbol}` : `Exit of ${symbol}`} could not be executed: the position is still held`,
      text: e.reason,
      data: { symbol, rule: e.rule, reason: e.reason, held: after.book.positions[symbol]?.quantity ?? 0, cycleId: cycle.cycleId },
    }));
  }

  for (const f of fills) {
    if (f.side === 'sell' && exits.has(f.symbol)) continue;
    const exit = f.side === 'sell';
    events.push(event('order.filled', {
      id: `fill:${cycle.cycleId}:${f.clientOrderId}`, ...at,
      title: `${exit ? 'Exit' : 'Entry'} filled: ${f.side} ${qty(f.quantity)} ${f.symbol} at ${money(avgPrice(f))}${exit ? `, P&L ${signed(f.realizedPnl)} ${s.quote}` : ''}`,
      data: { ...f, avgPrice: avgPrice(f), cycleId: cycle.cycleId },
    }));
  }

  if (!before.halt && after.halt?.kind === 'drawdown') {
    events.push(event('halt.drawdown', {
      id: `halt:${s.scope}:drawdown:${after.halt.since}`, ...at,
      title: 'Drawdown halt: no new entries until an operator resumes',
      text: after.halt.reason,
      data: { reason: after.halt.reason, since: after.halt.since, cycleId: cycle.cycleId },
    }));
  }
  if (after.dailyHaltDay && after.dailyHaltDay !== before.dailyHaltDay) {
    events.push(event('halt.daily_loss', {
      id: `halt:${s.scope}:daily_loss:${after.dailyHaltDay}`, ...at,
      title: `Daily loss limit hit: no new entries until the next trading day`,
      text: `realised P&L today ${signed(after.book.realizedPnlToday)} ${s.quote} against a day-start equity of ${money(after.book.dayStartEquity)}`,
      data: { day: after.dailyHaltDay, realizedPnlToday: after.book.realizedPnlToday, dayStartEquity: after.book.dayStartEquity },
    }));
  }

  let next: NotifyTracker = { ...tracker };
  if (cycle.status === 'failed') {
    next.failureStreak = tracker.failureStreak + 1;
    next.streakStart = tracker.streakStart ?? cycle.cycleId;
    if (next.failureStreak === FAILURE_STREAK) {
      events.push(event('cycle.failing', {
        id: `cycle-failing:${next.streakStart}`, ...at,
        title: `${FAILURE_STREAK} trading cycles failed in a row (last: #${cycle.cycleNo})`,
        text: cycle.error,
        data: { failures: next.failureStreak, firstCycleId: next.streakStart, lastCycleId: cycle.cycleId, error: cycle.error },
      }));
    }
  } else if (cycle.status === 'completed') {
    if (tracker.failureStreak >= FAILURE_STREAK) {
      events.push(event('cycle.recovered', {
        id: `cycle-recovered:${cycle.cycleId}`, ...at,
        title: `Cycles complete again after ${tracker.failureStreak} failures`,
        data: { failures: tracker.failureStreak, cycleId: cycle.cycleId },
      }));
    }
    next.failureStreak = 0;
    delete next.streakStart;
    next.lastCompletedAt = at.time;
  }

  const drifts = cycle.notices?.drifts ?? [];
  if (drifts.length > 0) {
    events.push(event('reconciliation.drift', {
      id: `drift:${cycle.cycleId}`, ...at,
      title: `Balance drift corrected in ${drifts.map((d) => d.asset).join(', ')}`,
      text: drifts.map((d) => `${d.asset}: book ${qty(d.book)}, account ${qty(d.account)} (${d.drift > 0 ? '+' : ''}${qty(d.drift)})`).join('\n'),
      data: { drifts, cycleId: cycle.cycleId },
    }));
  }
  const anomalies = cycle.notices?.reconciliationAnomalies ?? [];
  if (anomalies.length > 0) {
    events.push(event('reconciliation.anomaly', {
      id: `anomaly:${cycle.cycleId}`, ...at,
      title: `Reconciliation anomaly${anomalies.length > 1 ? 's' : ''}: ${anomalies.map((a) => a.asset ?? 'account').join(', ')}`,
      text: anomalies.map((a) => a.detail).join('\n'),
      data: { anomalies, cycleId: cycle.cycleId },
    }));
  }
  for (const u of cycle.notices?.unknownOrderOutcomes ?? []) {
    // One event per order, however many cycles it stays unresolved (the notifier drops repeated ids).
    events.push(event('order.unknown_outcome', {
      id: `unknown-outcome:${u.clientOrderId}`, ...at,
      title: `Outcome unknown: ${u.side} ${u.symbol} (${u.clientOrderId}) may have been applied`,
      text: u.reason,
      data: { ...u, cycleId: cycle.cycleId },
    }));
  }

  const llm = cycle.notices?.llm;
  if (llm && llm.verdicts > 0) {
    next.llmWindow = [...tracker.llmWindow, llm].slice(-LLM_WINDOW_CYCLES);
    const verdicts = next.llmWindow.reduce((n, w) => n + w.verdicts, 0);
    const fallbacks = next.llmWindow.reduce((n, w) => n + w.fallbacks, 0);
    const rate = verdicts > 0 ? fallbacks / verdicts : 0;
    if (!tracker.llmAlerting && verdicts >= LLM_MIN_VERDICTS && rate >= LLM_ALERT_RATE) {
      next.llmAlerting = true;
      events.push(event('llm.fallback_rate', {
        id: `llm-fallback:${cycle.cycleId}`, ...at,
        title: `LLM fallback answered ${(rate * 100).toFixed(0)}% of the last ${verdicts} trade reviews`,
        text: 'the LLM is unreachable, too slow, lacks its model or answers garbage: trades follow the fallback policy',
        data: { rate, verdicts, fallbacks },
      }));
    } else if (tracker.llmAlerting && rate < LLM_CLEAR_RATE) {
      next.llmAlerting = false;
    }
  }

  const day = after.book.day;
  const filledOrders = fills.length;
  next.day = next.day?.day === day ? { day, orders: next.day.orders + filledOrders } : { day, orders: filledOrders };
  return { events, tracker: next };
}

/** The summary of the trading day that just ended, sent when the day rolls. */
export function dailySummary(
  s: Scope, ended: PortfolioBook, equityAtRoll: number, prices: Record<string, number>, tracker: NotifyTracker, now: number,
): Derived {
  const orders = tracker.day?.day === ended.day ? tracker.day.orders : 0;
  const positions = Object.values(ended.positions).map((p) => ({
    symbol: p.symbol, quantity: p.quantity, avgPrice: p.avgPrice, value: p.quantity * (prices[p.symbol] ?? p.avgPrice),
  }));
  const pnl = equityAtRoll - ended.dayStartEquity;
  const summary = event('daily.summary', {
    id: `summary:${s.scope}:${ended.day}`, ...base(s, now),
    title: `Day ${ended.day}: equity ${money(equityAtRoll)} ${s.quote} (${signed(pnl)}), ${orders} order${orders === 1 ? '' : 's'} filled, ${positions.length} open position${positions.length === 1 ? '' : 's'}`,
    text: [
      `realised P&L ${signed(ended.realizedPnlToday)} ${s.quote}; cash ${money(ended.cash)}`,
      ...positions.map((p) => `${p.symbol}: ${qty(p.quantity)} at ${money(p.avgPrice)}, now worth ${money(p.value)}`),
    ].join('\n'),
    data: { day: ended.day, equity: equityAtRoll, dayStartEquity: ended.dayStartEquity, pnl, realizedPnl: ended.realizedPnlToday, cash: ended.cash, ordersFilled: orders, positions },
  });
  return { events: [summary], tracker: { ...tracker, day: undefined } };
}

export function liquidationStarted(s: Scope, liquidationId: string, reason: string, sellPositions: boolean, book: PortfolioBook, now: number): NotificationEvent {
  const held = Object.keys(book.positions);
  return event('liquidation.started', {
    id: `liquidation:${liquidationId}:started`, ...base(s, now),
    title: sellPositions ? `Liquidation started: cancelling open orders and selling ${held.length} position${held.length === 1 ? '' : 's'}` : 'Liquidation started: cancelling open orders (positions kept)',
    text: reason,
    data: { liquidationId, reason, sellPositions, positions: held },
  });
}

export function liquidationFinished(
  s: Scope, liquidationId: string, outcome: { book: PortfolioBook; trades: readonly CycleTrade[]; errors: readonly string[] } | { failure: string }, now: number,
): NotificationEvent {
  const at = { id: `liquidation:${liquidationId}:finished`, ...base(s, now) };
  if ('failure' in outcome) {
    return event('liquidation.finished', { ...at, severity: 'critical', title: 'Liquidation failed: positions may still be open', text: outcome.failure, data: { liquidationId, failure: outcome.failure } });
  }
  const sold = byOrder(outcome.trades).filter((o) => o.side === 'sell');
  const pnl = sold.reduce((n, o) => n + o.realizedPnl, 0);
  const left = Object.keys(outcome.book.positions);
  const severity: Severity = outcome.errors.length > 0 ? 'critical' : 'warning';
  return event('liquidation.finished', {
    ...at, severity,
    title: `Liquidation finished: ${sold.length} sell${sold.length === 1 ? '' : 's'}, P&L ${signed(pnl)} ${s.quote}${left.length ? `; still held: ${left.join(', ')}` : ''}`,
    text: [...sold.map((o) => `sold ${qty(o.quantity)} ${o.symbol} at ${money(avgPrice(o))}`), ...outcome.errors].join('\n') || undefined,
    data: { liquidationId, sold: sold.map((o) => ({ ...o, avgPrice: avgPrice(o) })), realizedPnl: pnl, stillHeld: left, errors: outcome.errors, cash: outcome.book.cash },
  });
}

export function emergencyStop(s: Scope, halt: HaltView, now: number): NotificationEvent {
  return event('halt.emergency_stop', {
    id: `halt:${s.scope}:emergency:${halt.since}`, ...base(s, now),
    title: 'Emergency stop: the portfolio is halted and its positions are being sold',
    text: halt.reason,
    data: { reason: halt.reason, since: halt.since },
  });
}

export function haltEnded(s: Scope, halt: HaltView, now: number): NotificationEvent {
  return event('halt.ended', {
    id: `halt-ended:${s.scope}:${halt.kind}:${halt.since}`, ...base(s, now),
    title: `${halt.kind} halt ended by resume: entries allowed again`,
    text: halt.reason,
    data: { kind: halt.kind, since: halt.since, reason: halt.reason },
  });
}

export function liveStarted(s: Scope, runId: string, market: string, symbols: readonly string[], now: number): NotificationEvent {
  return event('live.started', {
    id: `live:${s.scope}:${runId}`, ...base(s, now),
    title: `LIVE trading started on ${market}: real orders with real money`,
    text: `symbols ${symbols.join(' ')}`,
    data: { market, symbols },
  });
}

export function retrainingDecided(
  runKey: string, decision: 'promote' | 'keep', candidateVersion: string, current: string | null, reason: string, now: number,
): NotificationEvent {
  const promoted = decision === 'promote';
  return event(promoted ? 'model.promoted' : 'model.kept', {
    id: `model:${runKey}`, portfolioId: 'system', time: new Date(now).toISOString(),
    title: promoted ? `Signal model ${candidateVersion} promoted: now served` : `Signal model kept: candidate ${candidateVersion} not promoted`,
    text: reason,
    data: { decision, candidateVersion, current, reason },
  });
}
