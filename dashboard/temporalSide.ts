/**
 * What the cockpit asks Temporal: the portfolio workflows there are, each one's `status` and `risk` queries, and a
 * stopped one's final state. Every call has a deadline, so a workflow with no worker to answer its query (or a
 * server that is down) makes a page say so instead of hanging. The only writes are portfolioOps' signals and
 * updates (./routes/controls.ts), the CLI's own.
 */
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { connectClient, portfolioHandle, portfolioOps } from '../client/tradingClient';
import type { PortfolioConfig } from '../domain/config';
import type { PortfolioRisk, PortfolioState, PortfolioStatus } from '../workflows/messages';

export const QUERY_DEADLINE_MS = 3_000;
const CONNECT_WAIT_MS = 1_000;
const PORTFOLIO_PREFIX = 'portfolio-';

export class Deadline extends Error {}

export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Deadline(`${what} did not answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The workflow's live view, or why there is none. */
export interface LiveView {
  workflowStatus?: string;
  status?: PortfolioStatus;
  risk?: PortfolioRisk;
  /** A completed run's configuration (its result), when it is not running. */
  config?: PortfolioConfig;
  /** Why the workflow could not be asked (not found, not answering, server down). */
  problem?: string;
}

export interface WorkflowEntry {
  portfolioId: string;
  workflowId: string;
  status: string;
  mode?: string;
  market?: string;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class TemporalSide {
  private client: Client | null;
  private connecting: Promise<Client | null> | undefined;
  private lastConnectFailure = 0;
  /** Final states of completed runs, by run id: they never change. */
  private readonly results = new Map<string, PortfolioState>();

  private readonly given: Client | null;

  constructor(client: Client | null, private readonly address?: string) {
    this.client = client;
    this.given = client;
  }

  /**
   * The client, connecting lazily (and at most every 10 s after a failure) when none was given. Only the request that
   * starts a connection waits for it, at most CONNECT_WAIT_MS; while it is under way others go on without Temporal,
   * so a server that is down makes pages say so instead of hanging.
   */
  async connection(): Promise<Client | null> {
    if (this.client) return this.client;
    if (this.connecting || Date.now() - this.lastConnectFailure < 10_000) return null;
    this.connecting = connectClient(this.address)
      .then((c) => (this.client = c))
      .catch(() => {
        this.lastConnectFailure = Date.now();
        return null;
      })
      .finally(() => (this.connecting = undefined));
    return withDeadline(this.connecting, CONNECT_WAIT_MS, 'the Temporal server').catch(() => null);
  }

  /** Waits for a connection attempt under way and closes what this side opened (a client passed in stays open). */
  async close(): Promise<void> {
    const pending = this.connecting;
    if (pending) await pending;
    if (this.client && this.client !== this.given) await this.client.connection.close();
  }

  /** The client for a control, or an error that says why there is none. */
  async required(): Promise<Client> {
    const client = await this.connection();
    if (!client) throw new Error('the Temporal server is not reachable: nothing was sent');
    return client;
  }

  /** Portfolio workflows known to Temporal's visibility, newest run of each. */
  async portfolioWorkflows(limit = 200): Promise<WorkflowEntry[] | { problem: string }> {
    const client = await this.connection();
    if (!client) return { problem: 'Temporal server not reachable' };
    try {
      return await withDeadline((async () => {
        const seen = new Map<string, WorkflowEntry>();
        for await (const w of client.workflow.list({ query: "WorkflowType = 'portfolioWorkflow'", pageSize: limit })) {
          if (!w.workflowId.startsWith(PORTFOLIO_PREFIX) || seen.has(w.workflowId)) continue;
          const memo = (w.memo ?? {}) as Record<string, unknown>;
          seen.set(w.workflowId, {
            portfolioId: typeof memo.portfolioId === 'string' ? memo.portfolioId : w.workflowId.slice(PORTFOLIO_PREFIX.length),
            workflowId: w.workflowId,
            status: w.status.name,
            ...(typeof memo.mode === 'string' && { mode: memo.mode }),
            ...(typeof memo.market === 'string' && { market: memo.market }),
          });
          if (seen.size >= limit) break;
        }
        return [...seen.values()];
      })(), QUERY_DEADLINE_MS, 'the workflow list');
    } catch (err) {
      return { problem: message(err) };
    }
  }

  /** status and risk of a running portfolio; the configuration of a completed one. */
  async liveView(portfolioId: string, withRisk = true): Promise<LiveView> {
    const client = await this.connection();
    if (!client) return { problem: 'Temporal server not reachable' };
    const handle = portfolioHandle(client, portfolioId);
    try {
      const description = await withDeadline(handle.describe(), QUERY_DEADLINE_MS, 'describe');
      const workflowStatus = description.status.name;
      if (workflowStatus === 'RUNNING') {
        const [status, risk] = await Promise.all([
          withDeadline(portfolioOps.status(handle), QUERY_DEADLINE_MS, 'the status query'),
          withRisk ? withDeadline(portfolioOps.risk(handle), QUERY_DEADLINE_MS, 'the risk query') : Promise.resolve(undefined),
        ]);
        return { workflowStatus, status, ...(risk && { risk }) };
      }
      if (workflowStatus === 'COMPLETED') {
        let result = this.results.get(description.runId);
        if (!result) {
          result = await withDeadline(handle.result() as Promise<PortfolioState>, QUERY_DEADLINE_MS, 'the result');
          this.results.set(description.runId, result);
        }
        return { workflowStatus, config: result.config };
      }
      return { workflowStatus };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { problem: 'no workflow (recorded cycles only)' };
      return { problem: `workflow not answering: ${message(err)} (is a worker for the trading-workflows queue running?)` };
    }
  }
}
