/**
 * LLM trade review: local models served by Ollama read each trade proposal with its market readings and the
 * portfolio (activities/llm/prompt.ts) and approve or reject it, with a confidence and a one-line reason recorded
 * with the cycle. This activity is the only place the LLM is called.
 *
 * PANEL
 * `llm.models` lists several models (else `llm.model` alone is asked). Every model gets the same question at once,
 * each within `llm.timeoutMs`; their votes combine by `llm.consensus` (domain/llmConsensus.ts) and each vote is
 * kept in the verdict's `models`. A question is sent once per model and prompt hash within a call: a repeated one
 * reuses the answer. Sampling is fixed (temperature 0 and a seed unless `llm.sampling` says otherwise) and recorded
 * with the prompt's version and hash in `prompt`, so a verdict can be reproduced.
 *
 * FALLBACK POLICY
 * The LLM is an advisor, not a dependency: when a model cannot give a usable verdict the activity does not fail.
 * The portfolio's `llm.fallback` setting answers for it:
 *   - `reject`          → the trade is skipped            (approve=false, sizeMultiplier 0)
 *   - `approve-reduced` → the trade goes ahead at half size (approve=true,  sizeMultiplier 0.5)
 *   - `approve`         → the trade goes ahead at full size (approve=true,  sizeMultiplier 1)
 * A fallback vote always carries fallback=true, confidence 0, and a fallbackReason that starts with what went wrong:
 *   - `unreachable: ...`        the Ollama server refused the connection, could not be resolved or answered an HTTP error
 *   - `timeout after Nms`       no complete answer within `llm.timeoutMs`
 *   - `model not pulled: X`     the model is not installed on the server (`ollama pull X` fixes it)
 *   - `garbage: ...`            the answer was not the JSON asked for (an excerpt of it is kept in the reason)
 * With one model the verdict is that vote; with a panel a failed model votes as its fallback, and the verdict has
 * fallback=true only when every model failed. When a model cannot be reached at all (connection refused, unknown
 * host), is too slow or is not pulled, it is not asked again for the remaining proposals of the call (they get its
 * fallback at once); an HTTP error or a bad answer affects only its own question. Only bad input (e.g. an empty model
 * name) fails the activity, as a non-retryable `InvalidLlmInput`: retrying cannot fix it.
 */
import { Context } from '@temporalio/activity';
import { z } from 'zod/v4';
import { FALLBACK_OUTCOME, llmPolicySchema, type LlmPolicy } from '../domain/config';
import type { LlmPort, ValidateTradesInput } from '../domain/contracts/llm';
import type { LlmVerdict, ModelVerdict, Position, PromptRecord, TradeProposal } from '../domain/types';
import { metrics } from './metrics';
import { combineVotes, DEFAULT_CONSENSUS, panelOf } from '../domain/llmConsensus';
import { llmHealth } from './llm/health';
import { askModel, LlmFailure, ollamaHost, type ModelAnswer, type Sampling } from './llm/ollamaChat';
import { buildPrompt, PROMPT_VERSION } from './llm/prompt';
import { failure } from '../domain/failures';

export { FALLBACK_OUTCOME } from '../domain/config';
export { panelOf } from '../domain/llmConsensus';
export { installedModels, VERDICT_JSON_SCHEMA, type FallbackKind } from './llm/ollamaChat';
export { PROMPT_VERSION, SYSTEM_PROMPT } from './llm/prompt';

export type { PortfolioContext, ValidateTradesInput } from '../domain/contracts/llm';

/**
 * Answers already known by (model, prompt hash), consulted before asking and filled after: the backtester keeps one
 * on disk so a replayed period asks each question once. Fallbacks are never cached: they describe a moment.
 */
export interface AnswerCache {
  get(key: string): Promise<CachedAnswer | undefined> | CachedAnswer | undefined;
  set(key: string, answer: CachedAnswer): Promise<void> | void;
}
export type CachedAnswer = ModelAnswer & { latencyMs: number };

export const DEFAULT_SAMPLING: Sampling = { temperature: 0, seed: 42, numPredict: 96 };

export function samplingOf(policy: LlmPolicy): Sampling {
  return { ...DEFAULT_SAMPLING, ...policy.sampling };
}

/** The cache key of one question: the model and the hash of everything else it is sent. */
export const answerKey = (model: string, promptHash: string): string => `${model}\n${promptHash}`;

/** One verdict per proposal, in the same order. Throws only for bad input; every LLM failure becomes a fallback. */
export async function validateTrades(input: ValidateTradesInput, opts: { cache?: AnswerCache } = {}): Promise<LlmVerdict[]> {
  assertValidInput(input);
  const { proposals, policy, context } = input;
  const host = ollamaHost();
  const panel = panelOf(policy);
  const sampling = samplingOf(policy);
  const rule = policy.consensus ?? DEFAULT_CONSENSUS;
  /** Models that failed for the whole call (down, too slow, not pulled), with their failure. */
  const out = new Map<string, LlmFailure>();
  /** Questions asked in this call, by model and prompt hash: an identical one is asked once. */
  const asked = new Map<string, Promise<Answer>>();
  const verdicts: LlmVerdict[] = [];

  for (const proposal of proposals) {
    // Built outside any try: a bug in the prompt is a programmer error that must fail loudly, not become a fallback.
    const prompt = buildPrompt(proposal, context, sampling);
    const votes = await Promise.all(
      panel.map(async ({ model, weight }): Promise<ModelVerdict> => {
        const known = out.get(model);
        if (known) {
          metrics.llmFallbacks.inc({ model, reason: known.kind });
          return fallbackVote(model, weight, policy, known, 0, ' (not asked: an earlier proposal of this call hit the same failure)');
        }
        const key = answerKey(model, prompt.hash);
        let pending = asked.get(key);
        const reused = pending !== undefined;
        if (!pending) {
          pending = ask(host, model, prompt.messages, sampling, policy.timeoutMs, key, opts.cache);
          asked.set(key, pending);
        }
        const answer = await pending;
        if (reused) return answer.ok ? { ...modelVote(model, weight, answer.value, 0), reused: true } : fallbackVote(model, weight, policy, answer.failure, 0, ' (same question as another panel entry)');
        return record(model, weight, answer, proposal.symbol);
      }),
    );
    verdicts.push({ ...combineVotes(proposal.symbol, votes, rule), prompt: promptRecord(prompt, sampling) });
  }
  return verdicts;

  function record(model: string, weight: number, answer: Answer, symbol: string): ModelVerdict {
    llmHealth.record(model, { fallback: !answer.ok, kind: answer.ok ? undefined : answer.failure.kind, latencyMs: answer.latencyMs, timeoutMs: policy.timeoutMs });
    if (answer.ok) {
      metrics.llmLatency.observe({ model, outcome: 'verdict' }, answer.latencyMs / 1000);
      return modelVote(model, weight, answer.value, answer.latencyMs);
    }
    const { failure } = answer;
    metrics.llmLatency.observe({ model, outcome: 'fallback' }, answer.latencyMs / 1000);
    metrics.llmFallbacks.inc({ model, reason: failure.kind });
    warn('LLM verdict replaced by fallback policy', { symbol, model, fallback: policy.fallback, reason: failure.reason });
    if (failure.affectsWholeBatch) out.set(model, failure);
    return fallbackVote(model, weight, policy, failure, answer.latencyMs, '');
  }
}

type Answer = { ok: true; value: ModelAnswer; latencyMs: number } | { ok: false; failure: LlmFailure; latencyMs: number };

async function ask(
  host: string, model: string, messages: Parameters<typeof askModel>[2], sampling: Sampling, timeoutMs: number, key: string, cache?: AnswerCache,
): Promise<Answer> {
  const cached = await cache?.get(key);
  if (cached) return { ok: true, value: { approve: cached.approve, confidence: cached.confidence, reason: cached.reason }, latencyMs: cached.latencyMs };
  const startedAt = Date.now();
  try {
    const value = await askModel(host, model, messages, sampling, timeoutMs);
    const latencyMs = Date.now() - startedAt;
    await cache?.set(key, { ...value, latencyMs });
    return { ok: true, value, latencyMs };
  } catch (error) {
    if (!(error instanceof LlmFailure)) throw error;
    return { ok: false, failure: error, latencyMs: Date.now() - startedAt };
  }
}

function promptRecord(prompt: ReturnType<typeof buildPrompt>, sampling: Sampling): PromptRecord {
  return { version: PROMPT_VERSION, hash: prompt.hash, text: prompt.text, ...sampling };
}

function modelVote(model: string, weight: number, answer: ModelAnswer, latencyMs: number): ModelVerdict {
  return { model, weight, approve: answer.approve, confidence: answer.confidence, reason: answer.reason, fallback: false, sizeMultiplier: 1, latencyMs };
}

function fallbackVote(model: string, weight: number, policy: LlmPolicy, failure: LlmFailure, latencyMs: number, note: string): ModelVerdict {
  const outcome = FALLBACK_OUTCOME[policy.fallback];
  return {
    model,
    weight,
    approve: outcome.approve,
    confidence: 0,
    reason: `fallback policy '${policy.fallback}' applied: ${failure.reason}${note}`,
    fallback: true,
    fallbackReason: failure.reason,
    sizeMultiplier: outcome.sizeMultiplier,
    latencyMs,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Input validation: a malformed request is a bug upstream, and retrying it cannot help

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const proposalSchema = z.object({
  symbol: z.string().min(1),
  side: z.enum(['buy', 'sell']),
  price: finite.refine((p) => p > 0, 'must be positive'),
  // A strategy's proposal may come without a model signal (the model stage failed, or no model runs): it is
  // reviewed on the rest of the evidence rather than refused.
  signal: z
    .object({
      direction: z.enum(['up', 'down', 'flat']),
      confidence: finite,
      probabilities: z.object({ up: finite, down: finite, flat: finite }),
      asOf: finite,
      modelVersion: z.string(),
    })
    .optional(),
});
const contextSchema = z.object({
  portfolioId: z.string(),
  cash: finite,
  equity: finite,
  positions: z.record(z.string(), z.object({ symbol: z.string(), quantity: finite, avgPrice: finite })),
});

function assertValidInput(input: ValidateTradesInput): void {
  const problems: string[] = [];
  const describe = (prefix: string, issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>) =>
    issues.forEach((i) => problems.push(`${[prefix, ...i.path.map(String)].join('.')}: ${i.message}`));

  const policy = llmPolicySchema.safeParse(input?.policy);
  if (!policy.success) describe('policy', policy.error.issues);
  const proposals = z.array(proposalSchema).safeParse(input?.proposals);
  if (!proposals.success) describe('proposals', proposals.error.issues);
  const context = contextSchema.safeParse(input?.context);
  if (!context.success) describe('context', context.error.issues);

  if (problems.length > 0) {
    throw failure('InvalidLlmInput', `validateTrades refused its input: ${problems.join('; ')}`);
  }
}

/** The activity logger exists only inside a running activity; unit tests call the function directly. */
function warn(message: string, meta: Record<string, unknown>): void {
  try {
    Context.current().log.warn(message, meta);
  } catch {
    // Outside an activity there is no logger to use; the verdict still records the reason.
  }
}

// The LLM port of the cycle's contracts (domain/contracts): the compiler holds this activity to it.
void ({ validateTrades } satisfies LlmPort);
