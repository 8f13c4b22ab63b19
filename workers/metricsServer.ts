/** `/metrics` (the app's prom-client registry) and `/health` for one worker process. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from '../activities/metrics';

export interface HealthSource {
  (): { ok: boolean; [key: string]: unknown };
}

export async function startMetricsServer(port: number, health: HealthSource, host = '0.0.0.0'): Promise<http.Server & { port: number }> {
  const server = http.createServer(async (req, res) => {
    try {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(await registry.metrics());
      } else if (req.url === '/health') {
        const body = health();
        res.writeHead(body.ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('try /metrics or /health\n');
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
