/** A batch of events as one chat message or e-mail: the most severe first line, then each event, within the channel's size limit. */
import { severityRank, type NotificationEvent, type Severity } from '../../domain/notifications/events';

const MARK: Record<Severity, string> = { critical: '🔴', warning: '🟠', info: '🟢' };
/** Events listed in one message; the rest are counted (the webhook carries every one). */
const LISTED = 15;
const TEXT_LINES = 4;

export function label(e: NotificationEvent): string {
  if (e.portfolioId === 'system') return '[system]';
  return `[${(e.mode ?? 'paper').toUpperCase()} ${e.portfolioId}]`;
}

export function worst(events: readonly NotificationEvent[]): Severity {
  return events.reduce<Severity>((w, e) => (severityRank(e.severity) > severityRank(w) ? e.severity : w), 'info');
}

export function headline(e: NotificationEvent): string {
  return `${MARK[e.severity]} ${label(e)} ${e.title}`;
}

function block(e: NotificationEvent): string {
  const lines = (e.text ?? '').split('\n').filter((l) => l.trim() !== '');
  const shown = lines.slice(0, TEXT_LINES).map((l) => `    ${l}`);
  if (lines.length > TEXT_LINES) shown.push(`    … ${lines.length - TEXT_LINES} more line(s)`);
  return [headline(e), ...shown].join('\n');
}

/** Plain text, at most `maxChars` (Telegram 4,096, Discord 2,000). */
export function renderText(events: readonly NotificationEvent[], maxChars: number): string {
  const listed = events.slice(0, LISTED).map(block);
  const more = events.length - listed.length;
  const parts = events.length > 1 ? [`${events.length} events`, ...listed] : listed;
  if (more > 0) parts.push(`… and ${more} more`);
  const text = parts.join('\n');
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 2)} …`;
}

export function subject(events: readonly NotificationEvent[]): string {
  const first = [...events].sort((a, b) => severityRank(b.severity) - severityRank(a.severity))[0];
  return `${label(first)} ${first.title}${events.length > 1 ? ` (+${events.length - 1} more)` : ''}`;
}
