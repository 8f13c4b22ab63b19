/**
 * The embedded Temporal dev server for `npm start`: used only when nothing answers at TEMPORAL_ADDRESS.
 * History is kept in a SQLite file under data/, so portfolios survive restarts of the whole machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/visibility';

export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The CLI installed by scripts/install-temporal-cli.sh, or TEMPORAL_CLI_PATH, or one on PATH. */
export function temporalCliPath(): string {
  const candidates = [
    process.env.TEMPORAL_CLI_PATH,
    path.join(PROJECT_ROOT, '.tools/venv/bin/temporal'),
    path.join(PROJECT_ROOT, '.tools/bin/temporal'),
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => fs.existsSync(p));
  if (found) return found;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'temporal');
    if (dir && fs.existsSync(p)) return p;
  }
  throw new Error('Temporal CLI not found: run `npm ci` (it installs one under .tools/) or set TEMPORAL_CLI_PATH');
}

export function parseAddress(address: string): { host: string; port: number } {
  const [host, port] = address.split(':');
  const n = Number(port);
  if (!host || !Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`TEMPORAL_ADDRESS '${address}' is not host:port`);
  return { host, port: n };
}

export function isListening(address: string, timeoutMs = 1000): Promise<boolean> {
  const { host, port } = parseAddress(address);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface DevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(opts: { address: string; uiPort: number; dbFile: string; logFile: string }): Promise<DevServer> {
  const { host, port } = parseAddress(opts.address);
  fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const log = fs.openSync(opts.logFile, 'a');
  const args = [
    'server', 'start-dev', '--ip', host, '--port', String(port), '--ui-port', String(opts.uiPort),
    '--db-filename', opts.dbFile, '--log-level', 'warn',
    ...SEARCH_ATTRIBUTE_KEYS.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
  ];
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', log, log], detached: false });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 60_000;
  while (!(await isListening(opts.address, 500))) {
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited (code ${child.exitCode}); see ${opts.logFile}`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`Temporal dev server did not listen on ${opts.address} within 60 s; see ${opts.logFile}`); }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    address: opts.address,
    uiUrl: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${opts.uiPort}`,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
