/**
 * Incidents the operator must hear about (an order whose outcome is unknown, an implausible account snapshot,
 * refused market metadata, a price far from the exchange's): one row each, plus a metric, so a notification
 * channel can read them as data rather than parse logs. Keyed, so a retried activity rewrites its row.
 */
import { openDatabase, type Db } from '../../prisma/database';
import { metrics } from '../metrics';

export type IncidentKind =
  | 'order-outcome-unknown'
  | 'order-outcome-resolved'
  | 'suspect-account-snapshot'
  | 'market-metadata-refused'
  | 'price-out-of-band';

export interface Incident {
  /** Unique per occurrence: kind plus what it is about (an order id, a cycle id). */
  key: string;
  kind: IncidentKind;
  severity: 'critical' | 'warning' | 'info';
  portfolioId?: string;
  venue: string;
  symbol?: string;
  clientOrderId?: string;
  detail: string;
  evidence?: unknown;
  detectedAt: number;
  resolvedAt?: number;
}

/** Longest detail and evidence kept: an incident is a pointer for a human, not a dump. */
const MAX_TEXT = 8_000;

const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

export async function recordIncident(incident: Incident, db: Db = openDatabase()): Promise<void> {
  const data = {
    kind: incident.kind,
    severity: incident.severity,
    portfolioId: incident.portfolioId ?? null,
    venue: incident.venue,
    symbol: incident.symbol ?? null,
    clientOrderId: incident.clientOrderId ?? null,
    detail: clip(incident.detail),
    evidence: incident.evidence === undefined ? null : clip(JSON.stringify(incident.evidence)),
    detectedAt: new Date(incident.detectedAt),
    resolvedAt: incident.resolvedAt === undefined ? null : new Date(incident.resolvedAt),
  };
  const existing = await db.executionIncident.findUnique({ where: { key: incident.key }, select: { id: true } });
  await db.executionIncident.upsert({ where: { key: incident.key }, create: { key: incident.key, ...data }, update: data });
  if (!existing) metrics.executionIncidents.inc({ kind: incident.kind, venue: incident.venue, severity: incident.severity });
}

/** Marks the open incidents about an order resolved (its outcome is known now). */
export async function resolveOrderIncidents(clientOrderId: string, resolvedAt: number, db: Db = openDatabase()): Promise<void> {
  await db.executionIncident.updateMany({ where: { clientOrderId, kind: 'order-outcome-unknown', resolvedAt: null }, data: { resolvedAt: new Date(resolvedAt) } });
}

export async function recentIncidents(filter: { portfolioId?: string; kind?: IncidentKind } = {}, limit = 50, db: Db = openDatabase()) {
  return db.executionIncident.findMany({
    where: { ...(filter.portfolioId && { portfolioId: filter.portfolioId }), ...(filter.kind && { kind: filter.kind }) },
    orderBy: { id: 'desc' },
    take: limit,
  });
}
