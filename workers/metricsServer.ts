/**
 * `/metrics` (the app's prom-client registry) and health for one worker process: `/health/live`, `/health/ready`
 * (and `/health`, the same as ready) from ./health.ts. Listens on METRICS_BIND_ADDRESS, 127.0.0.1 by default.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from '../activities/metrics';
import type { HealthMonitor } from './health';
import { metricsBindAddress } from './runtime';

function json(res: http.ServerResponse, ok: boolean, body: unknown): void {
  res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body, null, 1)}\n`);
}

export async function startMetricsServer(port: number, health: HealthMonitor, host = metricsBindAddress()): Promise<http.Server & { port: number }> {
  const server = http.createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://worker').pathname.replace(/\/+$/, '') || '/';
    try {
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(await registry.metrics());
      } else if (path === '/health/live') {
        const live = health.live();
        json(res, live.live, live);
      } else if (path === '/health/ready' || path === '/health') {
        const ready = await health.ready();
        json(res, ready.ready, ready);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('try /metrics, /health/live or /health/ready\n');
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}
