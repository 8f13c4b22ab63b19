/** Process-wide Temporal runtime: exports the SDK's own Prometheus metrics beside the app's. */
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import { envValue } from '../domain/environment';

/** Start-up chatter that says nothing wrong: a queue worker serving only activities, or only workflows. */
const EXPECTED_NOTICES = /^No (workflows|activities|Nexus services) registered/;

function printEntry(entry: LogEntry): void {
  if (EXPECTED_NOTICES.test(entry.message)) return;
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta)}` : '';
  (entry.level === 'ERROR' || entry.level === 'WARN' ? console.error : console.log)(`${time} [${entry.level}] ${entry.message}${meta}`);
}

/**
 * Where /metrics and /health listen: 127.0.0.1 unless METRICS_BIND_ADDRESS says otherwise (the compose file sets
 * 0.0.0.0 so Prometheus on its network can scrape). Equity and positions are not for the whole network to read.
 */
export function metricsBindAddress(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.METRICS_BIND_ADDRESS?.trim();
  return value ? value : '127.0.0.1';
}

/**
 * The Temporal SDK's Prometheus exporter, in Prometheus' naming conventions: counters end in _total, durations are
 * seconds with the unit in the name (temporal_activity_schedule_to_start_latency_seconds_bucket).
 */
export function temporalMetricsTelemetry(bindAddress: string) {
  return { metrics: { prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } } };
}

export function installRuntime(temporalMetricsPort: number, host = metricsBindAddress()): void {
  Runtime.install({
    logger: new DefaultLogger((envValue('LOG_LEVEL', process.env) as LogLevel | undefined) ?? 'WARN', printEntry),
    telemetryOptions: temporalMetricsTelemetry(`${host.includes(':') ? `[${host}]` : host}:${temporalMetricsPort}`),
    // The entry points stop workers themselves so that they can stop the dev server afterwards.
    shutdownSignals: [],
  });
}

/** A port from the environment (domain/environment.ts), or `fallback` when unset. */
export function envPort(name: 'METRICS_PORT' | 'TEMPORAL_METRICS_PORT' | 'TEMPORAL_UI_PORT', fallback: number): number {
  return envValue(name, process.env) ?? fallback;
}
