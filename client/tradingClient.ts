/**
 * A thin typed client over Temporal for everything the CLI and `npm start` do with a portfolio.
 * It passes configuration only: exchange keys stay in the execution worker's environment.
 */
import { Client, Connection, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { ConfigPatch, PortfolioConfig } from '../domain/config';
import { checkConfig } from '../domain/config';
import { portfolioWorkflowId, TASK_QUEUES } from '../workflows/queues';
import { cycleSearchAttributes, portfolioMemo, SEARCH_ATTRIBUTE_KEYS } from '../workflows/visibility';
import type { RiskLimits, RiskPatch } from '../domain/config';
import type { PortfolioRisk, PortfolioState, PortfolioStatus } from '../workflows/messages';
import {
  emergencyStopSignal, pauseSignal, resumeSignal, riskQuery, setConfigUpdate, setRiskLimitsUpdate, statusQuery, stopSignal,
} from '../workflows/messages';
import type { portfolioWorkflow } from '../workflows/portfolio';
import { envValue } from '../domain/environment';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export function temporalAddress(): string {
  return envValue('TEMPORAL_ADDRESS', process.env) ?? DEFAULT_TEMPORAL_ADDRESS;
}

export function temporalNamespace(): string {
  return envValue('TEMPORAL_NAMESPACE', process.env) ?? 'default';
}

export async function connectClient(address = temporalAddress(), namespace = temporalNamespace()): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '5s' });
  } catch (err) {
    throw new Error(`no Temporal server answers at ${address} (TEMPORAL_ADDRESS): ${(err as Error).message}`);
  }
  return new Client({ connection, namespace });
}

/** Registers the search attributes the Web UI filters on; a no-op when they exist (the dev server adds them at start). */
export async function ensureSearchAttributes(client: Client): Promise<void> {
  const namespace = client.options.namespace;
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTE_KEYS.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  await client.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
}

export type StartOutcome = { kind: 'started' | 'already-running' | 'resumed'; workflowId: string; config: PortfolioConfig };

/**
 * Starts the portfolio, or attaches to it when it runs already. A portfolio that was stopped is resumed from
 * the state its last run returned, so cash and positions carry over. One that failed or was terminated is
 * not restarted silently: its book would be lost, so an operator must decide.
 */
export async function startPortfolio(
  client: Client,
  requested: PortfolioConfig,
  /** Runs only when a brand-new portfolio is created, e.g. to pick its market; an existing one keeps its config. */
  prepareNew: (config: PortfolioConfig) => Promise<PortfolioConfig> = async (c) => c,
): Promise<StartOutcome> {
  const checked = checkConfig(requested);
  if (!checked.ok) throw new Error(`invalid configuration: ${checked.reason}`);
  const workflowId = portfolioWorkflowId(requested.portfolioId);
  const handle = client.workflow.getHandle<typeof portfolioWorkflow>(workflowId);
  let prior: PortfolioState | undefined;
  try {
    const description = await handle.describe();
    const status = description.status.name;
    if (status === 'RUNNING') {
      const current = await handle.query(statusQuery);
      return { kind: 'already-running', workflowId, config: current.config };
    }
    if (status !== 'COMPLETED') {
      throw new Error(`portfolio ${workflowId} ended as ${status}; inspect it with \`temporal workflow show -w ${workflowId}\` before starting it again under a new --portfolio id`);
    }
    prior = await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  const config = prior?.config ?? (await prepareNew(checked.config));
  await ensureSearchAttributes(client);
  await client.workflow.start('portfolioWorkflow', {
    workflowId,
    taskQueue: TASK_QUEUES.workflows,
    args: [{ config, state: prior ? { ...prior, paused: false, pauseReason: undefined } : undefined }],
    memo: portfolioMemo(config),
    typedSearchAttributes: cycleSearchAttributes(config),
  });
  return { kind: prior ? 'resumed' : 'started', workflowId, config };
}

export function portfolioHandle(client: Client, portfolioId: string): WorkflowHandle<typeof portfolioWorkflow> {
  return client.workflow.getHandle<typeof portfolioWorkflow>(portfolioWorkflowId(portfolioId));
}

export const portfolioOps = {
  pause: (h: WorkflowHandle, reason?: string) => h.signal(pauseSignal, { reason }),
  resume: (h: WorkflowHandle) => h.signal(resumeSignal),
  stop: (h: WorkflowHandle, reason?: string) => h.signal(stopSignal, { reason }),
  status: (h: WorkflowHandle): Promise<PortfolioStatus> => h.query(statusQuery),
  setConfig: (h: WorkflowHandle, patch: ConfigPatch): Promise<PortfolioConfig> => h.executeUpdate(setConfigUpdate, { args: [patch] }),
  setRiskLimits: (h: WorkflowHandle, patch: RiskPatch): Promise<RiskLimits> => h.executeUpdate(setRiskLimitsUpdate, { args: [patch] }),
  risk: (h: WorkflowHandle): Promise<PortfolioRisk> => h.query(riskQuery),
  emergencyStop: (h: WorkflowHandle, reason?: string) => h.signal(emergencyStopSignal, { reason }),
};
