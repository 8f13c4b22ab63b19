/**
 * The notification event catalogue: every event a trader hears about, its stable kind string (channels filter on
 * it, webhook receivers switch on it, so never rename one) and its severity. Events are plain JSON written into
 * Temporal history (the portfolio's signal to its notifier), so they carry figures and reasons, never a secret.
 */

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

export const EVENT_CATALOGUE = {
  'order.filled': { severity: 'info', what: 'an order filled (entry or exit; exits carry the realised P&L)' },
  'exit.stop_loss': { severity: 'warning', what: 'a stop-loss fired and sold the position' },
  'exit.trailing_stop': { severity: 'info', what: 'a trailing stop fired and sold the position' },
  'exit.take_profit': { severity: 'info', what: 'a take-profit fired and sold the position' },
  'exit.not_executed': { severity: 'critical', what: 'a protective exit fired but the position is still held' },
  'halt.drawdown': { severity: 'critical', what: 'the drawdown limit halted the portfolio (only resume ends it)' },
  'halt.daily_loss': { severity: 'warning', what: 'the daily loss limit stopped new entries until the next trading day' },
  'halt.emergency_stop': { severity: 'critical', what: 'an emergency stop halted the portfolio' },
  'halt.ended': { severity: 'info', what: 'an operator resumed a halted portfolio' },
  'liquidation.started': { severity: 'critical', what: 'a liquidation started: open orders cancelled, positions sold if configured' },
  'liquidation.finished': { severity: 'warning', what: 'a liquidation finished (critical when it left positions open)' },
  'cycle.failing': { severity: 'warning', what: 'trading cycles failed several times in a row' },
  'cycle.recovered': { severity: 'info', what: 'a cycle completed again after repeated failures' },
  'reconciliation.drift': { severity: 'warning', what: 'the book differed from the account and was corrected' },
  'reconciliation.anomaly': { severity: 'critical', what: 'reconciliation found something it refused to correct' },
  'order.unknown_outcome': { severity: 'critical', what: 'an order may have been applied but its outcome is unknown' },
  'llm.fallback_rate': { severity: 'warning', what: 'the LLM fallback policy answered for too many trades' },
  'model.promoted': { severity: 'info', what: 'retraining promoted a new signal model' },
  'model.kept': { severity: 'info', what: 'retraining kept the served signal model' },
  'live.started': { severity: 'warning', what: 'a portfolio started trading real money' },
  'daily.summary': { severity: 'info', what: 'the trading day rolled: equity, P&L, trades and open positions' },
} as const satisfies Record<string, { severity: Severity; what: string }>;

export type EventKind = keyof typeof EVENT_CATALOGUE;
export const EVENT_KINDS = Object.keys(EVENT_CATALOGUE) as EventKind[];

export interface NotificationEvent {
  /**
   * Deterministic: derived from workflow ids, cycle numbers and workflow time, so an event derived again (a replay,
   * a retried delivery, a resent outbox after continue-as-new) has the same id and is delivered once.
   */
  id: string;
  kind: EventKind;
  severity: Severity;
  /** `system` for events that belong to no portfolio (model retraining). */
  portfolioId: string;
  mode?: 'paper' | 'live';
  /** Workflow time of the event, ISO 8601. */
  time: string;
  /** One line for a chat message. */
  title: string;
  /** Detail lines, plain text. */
  text?: string;
  /** Figures for machines (webhook receivers). */
  data?: Record<string, unknown>;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** An event of the catalogue with its default severity, unless the rule that derived it raised it. */
export function event(
  kind: EventKind,
  fields: Omit<NotificationEvent, 'kind' | 'severity'> & { severity?: Severity },
): NotificationEvent {
  const { severity, ...rest } = fields;
  return { kind, severity: severity ?? EVENT_CATALOGUE[kind].severity, ...rest };
}
