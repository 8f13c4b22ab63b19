/**
 * The deterministic fault-injection layer the exchange emulators share (binanceEmulator.ts, okxEmulator.ts): faults
 * scripted per method, path and call count, each applied or not, then answered wrongly or not at all. The
 * emulator decides what the request does; this decides what the client gets back.
 *
 *   drop     applied, the socket closed without an answer (a lost response)
 *   status   an HTTP status and body, not applied (429 + Retry-After, 418, 5xx, a lagging "order does not exist"),
 *            or applied first with `apply` (Binance -1007 "execution status unknown")
 *   rewrite  applied, answered with `rewrite(payload)` instead: a string is sent as is (truncated or empty JSON),
 *            anything else as JSON (a wrong shape, balances that vanish)
 *   hook     `action` runs just before the request is handled (a fill racing a cancel), then answered normally
 *
 * Kills: `armKill(n)` makes the nth request from now the last one its client sends, as if the worker process
 * died right then: that request is applied or not, and no request carrying the same `x-chaos-attempt` header is
 * ever answered (the client hangs; the test moves on to a new attempt, as Temporal would).
 */
import type http from 'node:http';

export interface Fault {
  method?: string;
  /** e.g. /api/v3/order; undefined matches every path. */
  path?: string;
  /** Fire on the nth matching request counted from when the fault was added (1 = the next one). */
  nth?: number;
  /** How many consecutive matching requests it affects from the nth on (default 1). */
  times?: number;
  kind: 'drop' | 'status' | 'rewrite' | 'hook';
  status?: number;
  /** `status` faults: a JSON body to answer instead of the default one (e.g. a lagging "order does not exist"). */
  body?: unknown;
  /** `status` faults: apply the request first (its outcome is then unknown to the client). */
  apply?: boolean;
  retryAfterSeconds?: number;
  action?: () => void;
  rewrite?: (payload: unknown) => unknown;
}

export interface RequestRecord {
  method: string;
  path: string;
  params: Record<string, string>;
  outcome: 'answered' | 'dropped' | 'fault-status' | 'rewritten';
  status: number;
}

export type KillOutcome = 'hang' | 'apply-then-hang' | undefined;

export class FaultPlan {
  private readonly faults: (Fault & { seen: number })[] = [];
  private readonly killedAttempts = new Set<string>();
  private kill?: { remaining: number; applyFirst: boolean };
  /** Faults that fired, over the plan's life. */
  fired = 0;
  /** Kills that happened. */
  kills = 0;

  armKill(afterRequests: number, applyFirst: boolean): void {
    this.kill = { remaining: Math.max(1, afterRequests), applyFirst };
  }

  /** Whether this request belongs to a killed attempt (never answered), or is the one that kills it. */
  killCheck(req: http.IncomingMessage): KillOutcome {
    const tag = req.headers['x-chaos-attempt'];
    const attempt = typeof tag === 'string' ? tag : undefined;
    if (attempt !== undefined && this.killedAttempts.has(attempt)) return 'hang';
    if (!this.kill || attempt === undefined) return undefined;
    this.kill.remaining -= 1;
    if (this.kill.remaining > 0) return undefined;
    const { applyFirst } = this.kill;
    this.kill = undefined;
    this.killedAttempts.add(attempt);
    this.kills += 1;
    return applyFirst ? 'apply-then-hang' : 'hang';
  }

  disarmKill(): void {
    this.kill = undefined;
  }

  /** Whether a kill is armed and has not happened yet. */
  killPending(): boolean {
    return this.kill !== undefined;
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, seen: 0 });
  }

  clear(): void {
    this.faults.splice(0);
  }

  /** The fault for this request, if one fires: the first that does (later ones do not count this request). */
  take(method: string, path: string): Fault | undefined {
    for (const f of this.faults) {
      if ((f.method && f.method !== method) || (f.path && f.path !== path)) continue;
      f.seen += 1;
      const first = f.nth ?? 1;
      if (f.seen >= first && f.seen < first + (f.times ?? 1)) {
        this.fired += 1;
        return f;
      }
    }
    return undefined;
  }

  /** Answers a `status` fault that is not applied. */
  answerWithoutApplying(fault: Fault, record: RequestRecord, res: http.ServerResponse, rateLimitBody: unknown): void {
    const status = fault.status ?? 429;
    record.outcome = 'fault-status';
    record.status = status;
    const json = fault.body ?? (status === 429 || status === 418 ? rateLimitBody : undefined);
    const headers: Record<string, string> = { 'Content-Type': json ? 'application/json' : 'text/html' };
    if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
    res.writeHead(status, headers);
    res.end(json ? JSON.stringify(json) : '<html><body>Internal Server Error</body></html>');
  }

  /** After the request was applied: answers for `drop`, `rewrite` and applied `status` faults; false for the others. */
  answerAfterApplying(fault: Fault, record: RequestRecord, payload: unknown, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (fault.kind === 'drop') {
      record.outcome = 'dropped';
      req.socket.destroy();
      return true;
    }
    if (fault.kind === 'status' && fault.apply) {
      record.outcome = 'fault-status';
      record.status = fault.status ?? 500;
      res.writeHead(record.status, { 'Content-Type': 'application/json;charset=UTF-8' });
      res.end(JSON.stringify(fault.body ?? {}));
      return true;
    }
    if (fault.kind === 'rewrite' && fault.rewrite) {
      record.outcome = 'rewritten';
      const answer = fault.rewrite(payload);
      res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8' });
      res.end(typeof answer === 'string' ? answer : JSON.stringify(answer));
      return true;
    }
    return false;
  }
}

/** Ready-made faults, named as the fault suite speaks of them. */
export const faults = {
  lostAnswer: (method: string, path: string, nth = 1): Fault => ({ method, path, nth, kind: 'drop' }),
  /** Binance -1007 after the order was applied. */
  statusUnknown: (method: string, path: string, nth = 1): Fault => ({
    method, path, nth, kind: 'status', apply: true, status: 400,
    body: { code: -1007, msg: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.' },
  }),
  /** The order query does not see an order yet, `times` calls in a row. */
  lagOrderQuery: (path: string, nth: number, times: number, body: unknown): Fault => ({ method: 'GET', path, nth, times, kind: 'status', status: 400, body }),
  truncated: (method: string, path: string, nth = 1): Fault => ({ method, path, nth, kind: 'rewrite', rewrite: (p) => JSON.stringify(p).slice(0, Math.max(1, Math.floor(JSON.stringify(p).length / 2))) }),
  empty: (method: string, path: string, nth = 1): Fault => ({ method, path, nth, kind: 'rewrite', rewrite: () => '' }),
  wrongShape: (method: string, path: string, nth = 1): Fault => ({ method, path, nth, kind: 'rewrite', rewrite: () => ({ result: 'ok', data: null }) }),
  rateLimited: (method: string, path: string, nth = 1, retryAfterSeconds = 1): Fault => ({ method, path, nth, kind: 'status', status: 429, retryAfterSeconds }),
  banned: (method: string, path: string, nth = 1, retryAfterSeconds = 1): Fault => ({ method, path, nth, kind: 'status', status: 418, retryAfterSeconds }),
  serverError: (method: string, path: string, nth = 1, status = 503): Fault => ({ method, path, nth, kind: 'status', status }),
};
