/**
 * The channels the notify worker delivers to, read from its own environment only: nothing of it passes through
 * Temporal. Every channel shares two filter variables:
 *
 *   NOTIFY_<NAME>_EVENTS        kind globs, comma-separated (default `*`): `halt.*,liquidation.*,exit.*`, `*,!order.filled`
 *   NOTIFY_<NAME>_MIN_SEVERITY  info (default), warning or critical
 *
 * Adding a channel: a file exporting a ChannelDefinition (./channel.ts) and its line in CHANNELS below.
 */
import { ApplicationFailure } from '@temporalio/common';
import { readSecret } from '../execution/exchangeSettings';
import { SEVERITIES, severityRank, type NotificationEvent, type Severity } from '../../domain/notifications/events';
import { FAILURE_REASONS, type ChannelDefinition, type ChannelEnv, type ChannelFilter, type NotificationChannel } from './channel';
import { notifyMetrics } from './metrics';
import { discord } from './discord';
import { email } from './email';
import { slack } from './slack';
import { telegram } from './telegram';
import { webhook } from './webhook';
import { failure } from '../../domain/failures';
import { flag } from '../../domain/environment';

export const CHANNELS: readonly ChannelDefinition[] = [slack, telegram, discord, email, webhook];

type Env = Record<string, string | undefined>;

export function channelEnv(name: string, env: Env): ChannelEnv {
  const full = (key: string) => `NOTIFY_${name.toUpperCase()}_${key}`;
  const value = (key: string) => {
    const v = env[full(key)];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  return {
    name: full,
    value,
    secret: (key) => readSecret(full(key), env),
    flag: (key) => {
      const v = value(key);
      return v !== undefined && flag(v, full(key));
    },
  };
}

function kindPattern(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export function parseFilter(env: ChannelEnv): ChannelFilter {
  const events = (env.value('EVENTS') ?? '*').split(',').map((g) => g.trim()).filter(Boolean);
  const floor = (env.value('MIN_SEVERITY') ?? 'info').toLowerCase();
  if (!SEVERITIES.includes(floor as Severity)) throw new Error(`${env.name('MIN_SEVERITY')} must be one of ${SEVERITIES.join(', ')}, got '${floor}'`);
  return { events, minSeverity: floor as Severity };
}

export function matches(filter: ChannelFilter, e: NotificationEvent): boolean {
  if (severityRank(e.severity) < severityRank(filter.minSeverity)) return false;
  const include = filter.events.filter((g) => !g.startsWith('!'));
  const exclude = filter.events.filter((g) => g.startsWith('!')).map((g) => g.slice(1));
  return include.some((g) => kindPattern(g).test(e.kind)) && !exclude.some((g) => kindPattern(g).test(e.kind));
}

/** Every configured channel; a bad value fails with InvalidConfig naming the variable (never its value). */
export function configuredChannels(env: Env = process.env): NotificationChannel[] {
  const channels: NotificationChannel[] = [];
  for (const def of CHANNELS) {
    const ce = channelEnv(def.name, env);
    try {
      const channel = def.fromEnv(ce, parseFilter(ce));
      if (channel) channels.push(channel);
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw failure('InvalidConfig', `notification channel ${def.name}: ${(err as Error).message}`);
    }
  }
  return channels;
}

let cached: { key: string; channels: NotificationChannel[] } | undefined;

/** Every series a configured channel can have starts at 0, so dashboards and alerts see "none yet", not "no data". */
function zeroCounters(channels: readonly NotificationChannel[]): void {
  notifyMetrics.dropped.inc({ channel: 'all', reason: 'notifier' }, 0);
  for (const c of channels) {
    notifyMetrics.sent.inc({ channel: c.name }, 0);
    for (const reason of FAILURE_REASONS) {
      notifyMetrics.failed.inc({ channel: c.name, reason }, 0);
      notifyMetrics.dropped.inc({ channel: c.name, reason }, 0);
    }
  }
}

/** The configured channels, rebuilt only when a NOTIFY_* variable changed (tests change them; workers never do). */
export function loadChannels(env: Env = process.env): NotificationChannel[] {
  const key = JSON.stringify(Object.entries(env).filter(([k]) => k.startsWith('NOTIFY_')).sort());
  if (cached?.key !== key) {
    const channels = configuredChannels(env);
    const old = cached;
    cached = { key, channels };
    zeroCounters(channels);
    void Promise.allSettled((old?.channels ?? []).map((c) => c.close?.()));
  }
  return cached.channels;
}
