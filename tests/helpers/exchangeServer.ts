/**
 * The HTTP side the exchange emulators (binanceEmulator.ts, okxEmulator.ts) share: a loopback server that puts
 * every request through one FaultPlan (faultPlan.ts) in the same order, so a scripted fault or kill means the same
 * thing on either exchange. The emulator says what a request's parameters are and what applying it answers; this
 * decides whether it is applied at all and what the client gets back.
 *
 *   kill check   a killed client's requests are never answered; the killing one is applied first or not at all
 *   hook fault   runs before the request is handled
 *   record       every request that reaches this point, with its parameters and outcome
 *   status fault not applied: answered with the fault's status (the exchange's rate-limit body for 429 and 418)
 *   apply        the emulator's own handling
 *   drop, rewrite, applied status   answered by the plan after applying
 */
import http from 'node:http';
import { FaultPlan, type Fault, type RequestRecord } from './faultPlan';
import { listenOnLoopback, readBody } from './loopbackServer';

export interface ExchangeRequest {
  req: http.IncomingMessage;
  method: string;
  url: URL;
  body: string;
}

export interface ExchangeAnswer {
  status: number;
  payload: unknown;
}

export interface ExchangeRoutes {
  /** The exchange's own answer to too many requests, for 429 and 418 faults that carry no body. */
  rateLimitBody: unknown;
  contentType: string;
  /** Reads a request: the parameters its record keeps, and how to apply it (run only when no fault stops it). */
  read(request: ExchangeRequest): { params: Record<string, string>; apply(): ExchangeAnswer };
}

/** What every emulator gives tests the same way: its address, its faults and kills, the requests it got. */
export interface ExchangeServer {
  url: string;
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Faults injected so far that fired. */
  faultsFired(): number;
  /** The nth request from now kills its client (see FaultPlan.armKill). */
  armKill(afterRequests: number, applyFirst: boolean): void;
  kills(): number;
  killPending(): boolean;
  disarmKill(): void;
  requests: RequestRecord[];
  close(): Promise<void>;
}

export async function serveExchange(routes: ExchangeRoutes): Promise<ExchangeServer> {
  const plan = new FaultPlan();
  const requests: RequestRecord[] = [];

  function answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const { params, apply } = routes.read({ req, method, url, body });
    const killed = plan.killCheck(req);
    if (killed === 'hang') return;
    const fault = plan.take(method, path);
    if (fault?.kind === 'hook') fault.action?.();
    const record: RequestRecord = { method, path, params, outcome: 'answered', status: 200 };
    requests.push(record);
    if (fault?.kind === 'status' && !fault.apply) {
      plan.answerWithoutApplying(fault, record, res, routes.rateLimitBody);
      return;
    }
    const { status, payload } = apply();
    record.status = status;
    if (killed === 'apply-then-hang') return;
    if (fault && plan.answerAfterApplying(fault, record, payload, req, res)) return;
    res.writeHead(status, { 'Content-Type': routes.contentType });
    res.end(JSON.stringify(payload));
  }

  const server = http.createServer((req, res) => {
    // A request its client abandoned half-sent is never answered, as if it had not reached the exchange.
    void readBody(req).then((body) => answer(req, res, body), () => undefined);
  });
  const loopback = await listenOnLoopback(server);
  return {
    url: loopback.url,
    inject: (fault) => plan.inject(fault),
    clearFaults: () => plan.clear(),
    faultsFired: () => plan.fired,
    armKill: (n, applyFirst) => plan.armKill(n, applyFirst),
    kills: () => plan.kills,
    killPending: () => plan.killPending(),
    disarmKill: () => plan.disarmKill(),
    requests,
    close: loopback.close,
  };
}
