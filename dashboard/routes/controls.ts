/**
 * The controls: pause, resume, stop, emergency stop (the portfolio id typed to confirm) and risk limit changes
 * through the validated setRiskLimits update: portfolioOps, exactly what tradectl sends. Every one is a POST that
 * needs the credentials (when set) and the page's CSRF token; a refusal shows the workflow validator's own reason.
 * The browser is sent back to the portfolio page with a notice (POST, redirect, GET).
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseAssignments } from '../../client/cli';
import { portfolioHandle, portfolioOps } from '../../client/tradingClient';
import type { RiskPatch } from '../../domain/config';
import { portfolioWorkflowId } from '../../workflows/queues';
import type { CockpitDeps } from '../server';
import { NOTICE_COOKIE } from './pages';

type Body = { reason?: string; confirm?: string; limits?: string };
type ControlRequest = FastifyRequest<{ Params: { id: string }; Body: Body }>;

/** The reason a control was refused: an update's failure carries the validator's ApplicationFailure as its cause. */
export function refusalReason(err: unknown): string {
  if (err instanceof WorkflowUpdateFailedError) return err.cause?.message ?? err.message;
  if (err instanceof WorkflowNotFoundError) return 'the portfolio workflow is not running';
  return err instanceof Error ? err.message : String(err);
}

function respond(request: ControlRequest, reply: FastifyReply, level: 'ok' | 'error', text: string) {
  if ((request.headers.accept ?? '').includes('application/json')) {
    return reply.code(level === 'ok' ? 200 : 422).send({ ok: level === 'ok', message: text });
  }
  reply.setCookie(NOTICE_COOKIE, JSON.stringify({ level, text }), { path: '/', httpOnly: true, sameSite: 'strict', maxAge: 60 });
  return reply.redirect(`/portfolios/${encodeURIComponent(request.params.id)}`, 303);
}

const reasonOf = (body: Body | undefined, fallback: string) => (body?.reason?.trim() ? body.reason.trim().slice(0, 200) : fallback);

export function registerControls(app: FastifyInstance, { temporal }: CockpitDeps): void {
  const options = { config: { access: 'control' as const }, preHandler: app.csrfProtection };

  const control = (name: string, act: (request: ControlRequest) => Promise<string>) =>
    app.post<{ Params: { id: string }; Body: Body }>(`/portfolios/:id/${name}`, options, async (request, reply) => {
      try {
        return respond(request, reply, 'ok', await act(request));
      } catch (err) {
        return respond(request, reply, 'error', `${name} refused: ${refusalReason(err)}`);
      }
    });
  const handle = async (request: ControlRequest) => portfolioHandle(await temporal.required(), request.params.id);
  const wf = (request: ControlRequest) => portfolioWorkflowId(request.params.id);

  control('pause', async (request) => {
    await portfolioOps.pause(await handle(request), reasonOf(request.body, 'paused from the cockpit'));
    return `pause sent to ${wf(request)}: the cycle in flight finishes, then no new one starts`;
  });
  control('resume', async (request) => {
    await portfolioOps.resume(await handle(request));
    return `resume sent to ${wf(request)}: cycles start again (a halt ends too)`;
  });
  control('stop', async (request) => {
    await portfolioOps.stop(await handle(request), reasonOf(request.body, 'stopped from the cockpit'));
    return `stop sent to ${wf(request)}: it finishes the current cycle and completes with its state (npm start or tradectl start resumes it)`;
  });
  control('emergency-stop', async (request) => {
    if ((request.body?.confirm ?? '').trim() !== request.params.id) {
      throw new Error(`type the portfolio id '${request.params.id}' to confirm: an emergency stop sells every position; nothing was sent`);
    }
    await portfolioOps.emergencyStop(await handle(request), reasonOf(request.body, 'emergency stop from the cockpit'));
    return `emergency stop sent to ${wf(request)}: open orders are cancelled and every position sold; only resume ends the halt`;
  });
  control('risk-limits', async (request) => {
    const lines = (request.body?.limits ?? '').split(/[\n\r]+/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    if (lines.length === 0) throw new Error('no change given: write key=value lines, e.g. maxDrawdown=0.1');
    const patch = parseAssignments(lines) as RiskPatch;
    await portfolioOps.setRiskLimits(await handle(request), patch);
    return `risk limits changed: ${lines.join(', ')} (validated by the workflow, in force from its next cycle)`;
  });
}
