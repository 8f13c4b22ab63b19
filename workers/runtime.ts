/** Process-wide Temporal runtime: exports the SDK's own Prometheus metrics beside the app's. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

export function installRuntime(temporalMetricsPort: number): void {
  Runtime.install({
    logger: new DefaultLogger((process.env.LOG_LEVEL as 'INFO' | 'WARN' | 'DEBUG' | undefined) ?? 'INFO'),
    telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${temporalMetricsPort}` } } },
    // The entry points stop workers themselves so that they can stop the dev server afterwards.
    shutdownSignals: [],
  });
}

export function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}='${raw}' is not a port number`);
  return n;
}
