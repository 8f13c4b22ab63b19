/**
 * The one extension point for notification channels. A channel is one file exporting a ChannelDefinition (its
 * name, the environment variables it reads, and how it sends a batch) plus one line in ./registry.ts. Everything
 * else (filters, minimum severity, batching, retries with backoff and Retry-After, metrics, redaction) is shared.
 */
import type { NotificationEvent, Severity } from '../../domain/notifications/events';

/** Which events a channel receives: kind globs (`*`, `halt.*`, `order.filled`, `!order.filled` to exclude) and a floor. */
export interface ChannelFilter {
  events: readonly string[];
  minSeverity: Severity;
}

export interface NotificationChannel {
  readonly name: string;
  readonly filter: ChannelFilter;
  /** The secrets this channel holds (URLs with tokens, passwords), redacted from every error it raises. */
  readonly secrets: readonly string[];
  /** Delivers the batch (already filtered for this channel) or throws a DeliveryError. */
  send(events: readonly NotificationEvent[], delivery: DeliveryOptions): Promise<void>;
  close?(): Promise<void>;
}

export interface DeliveryOptions {
  /** Aborted when the delivery's time is up. */
  signal: AbortSignal;
  timeoutMs: number;
  /** Same for every attempt of one batch: receivers that deduplicate can key on it. */
  deliveryId: string;
}

/** Reads NOTIFY_<NAME>_<KEY>; `secret` also reads NOTIFY_<NAME>_<KEY>_FILE (Docker and Kubernetes secrets). */
export interface ChannelEnv {
  value(key: string): string | undefined;
  secret(key: string): string | undefined;
  /** A true/false variable (unset: false); any other value throws naming the variable. */
  flag(key: string): boolean;
  /** The full variable name, for error messages. */
  name(key: string): string;
}

export interface ChannelDefinition {
  /** Lower case; the environment prefix is NOTIFY_<NAME upper case>_. */
  name: string;
  /** Variables it reads (without the prefix) and what they mean: the README's table comes from here. */
  variables: Readonly<Record<string, string>>;
  /** The channel when its environment configures it, else undefined; bad values throw naming the variable. */
  fromEnv(env: ChannelEnv, filter: ChannelFilter): NotificationChannel | undefined;
}

export const FAILURE_REASONS = ['rate_limited', 'timeout', 'network', 'server_error', 'rejected', 'malformed'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Why a send failed, and whether trying again can help (and when: a 429's Retry-After). */
export class DeliveryError extends Error {
  constructor(message: string, readonly reason: FailureReason, readonly retryable: boolean, readonly retryAfterMs?: number) {
    super(message);
    this.name = 'DeliveryError';
  }
}
