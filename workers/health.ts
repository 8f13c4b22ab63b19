/**
 * Health that tells the truth, in the conventions Kubernetes probes and compose health checks expect:
 *   /health/live   200 while the process can serve (no worker has failed for good), else 503
 *   /health/ready  200 when every dependency this process' task queues need answers, else 503 with the reasons;
 *                  optional dependencies are reported but never make it unready
 *   /health        the same as /health/ready
 * Each dependency is probed at most once per its `ttlMs` (probes are cached and shared by concurrent requests) and
 * within a timeout, so a probe hammered by a load balancer never hammers the database, Ollama or an exchange.
 */
import type { QueueKey } from '../workflows/queues';

export interface ProbeResult {
  ok: boolean;
  /** Why not, in one line naming the dependency. */
  reason?: string;
  /** What a person checking wants to see: versions, counts, URLs (never secrets). */
  detail?: Record<string, unknown>;
}

export interface DependencyProbe {
  name: string;
  /** Whether this process cannot do its job without it. */
  required: boolean;
  ttlMs: number;
  timeoutMs?: number;
  probe(): Promise<ProbeResult>;
}

export interface DependencyState extends ProbeResult {
  required: boolean;
  checkedAt: string;
}

export interface Readiness {
  ready: boolean;
  reasons: string[];
  queues: QueueKey[];
  dependencies: Record<string, DependencyState>;
}

export interface Liveness {
  live: boolean;
  reason?: string;
  uptimeSeconds: number;
  pid: number;
}

const DEFAULT_TIMEOUT_MS = 3_000;

function withTimeout(p: Promise<ProbeResult>, ms: number, name: string): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `${name}: no answer within ${ms} ms` }), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class HealthMonitor {
  private readonly cache = new Map<string, { at: number; state: Promise<DependencyState> }>();
  private readonly started = Date.now();

  constructor(
    readonly queues: QueueKey[],
    private readonly probes: DependencyProbe[],
    private readonly liveness: () => { live: boolean; reason?: string } = () => ({ live: true }),
  ) {}

  live(): Liveness {
    return { ...this.liveness(), uptimeSeconds: Math.round((Date.now() - this.started) / 1000), pid: process.pid };
  }

  async ready(): Promise<Readiness> {
    const entries = await Promise.all(this.probes.map(async (p) => [p.name, await this.state(p)] as const));
    const dependencies = Object.fromEntries(entries);
    const reasons = entries.filter(([, s]) => s.required && !s.ok).map(([name, s]) => s.reason ?? `${name} is down`);
    return { ready: reasons.length === 0, reasons, queues: this.queues, dependencies };
  }

  /** Forgets cached results, so the next request probes again (tests; an operator's `?fresh`). */
  invalidate(): void {
    this.cache.clear();
  }

  private state(p: DependencyProbe): Promise<DependencyState> {
    const cached = this.cache.get(p.name);
    if (cached && Date.now() - cached.at < p.ttlMs) return cached.state;
    const state = withTimeout(
      p.probe().catch((err): ProbeResult => ({ ok: false, reason: `${p.name}: ${(err as Error).message ?? String(err)}` })),
      p.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      p.name,
    ).then((r): DependencyState => ({ ...r, required: p.required, checkedAt: new Date().toISOString() }));
    this.cache.set(p.name, { at: Date.now(), state });
    return state;
  }
}
