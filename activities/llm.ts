/**
 * LLM trade review: a local model served by Ollama reads each trade proposal and the portfolio state and
 * approves or rejects it, with a confidence and a one-line reason that is recorded with the cycle.
 *
 * FALLBACK POLICY
 * The LLM is an advisor, not a dependency: when it cannot give a usable verdict the activity does not fail.
 * The portfolio's `llm.fallback` setting answers instead:
 *   - `reject`          → the trade is skipped            (approve=false, sizeMultiplier 0)
 *   - `approve-reduced` → the trade goes ahead at half size (approve=true,  sizeMultiplier 0.5)
 *   - `approve`         → the trade goes ahead at full size (approve=true,  sizeMultiplier 1)
 * A fallback verdict always carries fallback=true, confidence 0, model = the configured model, and a
 * fallbackReason that starts with what went wrong:
 *   - `unreachable: ...`        the Ollama server refused the connection, could not be resolved or answered an HTTP error
 *   - `timeout after Nms`       no complete answer within `llm.timeoutMs`
 *   - `model not pulled: X`     the model is not installed on the server (`ollama pull X` fixes it)
 *   - `garbage: ...`            the answer was not the JSON asked for (an excerpt of it is kept in the reason)
 * When the server cannot be reached at all (connection refused, unknown host), is too slow or lacks the model, the
 * remaining proposals of the same cycle get the same fallback at once instead of each waiting out the timeout again;
 * an HTTP error or a bad answer affects only its own proposal. A model verdict has fallback=false and
 * sizeMultiplier 1. Only bad input (e.g. an empty model name) fails the activity, as a non-retryable
 * `InvalidLlmInput`: retrying cannot fix it.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Ollama, type Message } from 'ollama';
// zod v4 (shipped inside zod 3.25) can turn the answer schema into the JSON schema Ollama constrains decoding
// with, so the prompt's format and the parser can never disagree.
import { z } from 'zod/v4';
import { llmPolicySchema, type LlmPolicy } from '../domain/config';
import type { LlmVerdict, Position, TradeProposal } from '../domain/types';
import { metrics } from './metrics';

export interface ValidateTradesInput {
  proposals: TradeProposal[];
  policy: LlmPolicy;
  context: PortfolioContext;
}

export interface PortfolioContext {
  portfolioId: string;
  cash: number;
  equity: number;
  positions: Record<string, Position>;
}

export type FallbackKind = 'unreachable' | 'timeout' | 'garbage' | 'model_missing';

/** The model's answers by a key of the exact question (model and messages): the backtester's disk cache (--llm ollama). */
export interface AnswerCache {
  get(key: string): Promise<{ approve: boolean; confidence: number; reason: string } | undefined>;
  set(key: string, answer: { approve: boolean; confidence: number; reason: string }): Promise<void>;
  key(model: string, messages: Message[]): string;
}

const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';
/** Models are pulled rarely; asking the server once a minute keeps a missing model cheap to detect. */
const MODEL_CATALOG_TTL_MS = 60_000;
/** Enough of a bad answer to see what the model did, short enough to keep history rows small. */
const RAW_EXCERPT_CHARS = 200;
/** A model that rambles must not bloat every cycle record. */
const MAX_REASON_CHARS = 500;

export const FALLBACK_OUTCOME: Record<LlmPolicy['fallback'], { approve: boolean; sizeMultiplier: number }> = {
  reject: { approve: false, sizeMultiplier: 0 },
  'approve-reduced': { approve: true, sizeMultiplier: 0.5 },
  approve: { approve: true, sizeMultiplier: 1 },
};

// Extra keys are dropped rather than refused: they cannot make approve/confidence/reason ambiguous.
const modelAnswerSchema = z.object({
  approve: z.boolean(),
  confidence: z.number().min(0).max(1),
  reason: z.string().trim().min(1),
});
type ModelAnswer = z.infer<typeof modelAnswerSchema>;

export const VERDICT_JSON_SCHEMA = z.toJSONSchema(modelAnswerSchema);

export const SYSTEM_PROMPT = [
  'You are the risk reviewer of an automated crypto trading system.',
  'You receive one trade proposed by a quantitative signal model or a rule-based strategy, and the current portfolio.',
  'Approve it only if it looks reasonable: reject weak or contradictory signals, trades the cash cannot pay for,',
  'and trades that would concentrate the portfolio in one asset.',
  'Answer with only a JSON object: {"approve": boolean, "confidence": number from 0 to 1, "reason": one short sentence}.',
  'No other text.',
].join(' ');

/**
 * One verdict per proposal, in the same order. Throws only for bad input; every LLM failure becomes a fallback verdict.
 * `cache` (not for the activity: the backtester's): answers already given to the very same question are reused.
 */
export async function validateTrades(input: ValidateTradesInput, cache?: AnswerCache): Promise<LlmVerdict[]> {
  assertValidInput(input);
  const { proposals, policy, context } = input;
  const host = process.env.OLLAMA_HOST || DEFAULT_OLLAMA_HOST;
  const verdicts: LlmVerdict[] = [];
  let batchFailure: LlmFailure | undefined;

  for (const proposal of proposals) {
    if (batchFailure) {
      metrics.llmFallbacks.inc({ model: policy.model, reason: batchFailure.kind });
      verdicts.push(fallbackVerdict(proposal, policy, batchFailure, 0, true));
      continue;
    }
    // Built outside the try: a bug in the prompt is a programmer error that must fail loudly, not become a fallback.
    const messages = buildMessages(proposal, context);
    const startedAt = Date.now();
    try {
      const key = cache?.key(policy.model, messages);
      const cached = key === undefined ? undefined : await cache!.get(key);
      const answer = cached ?? (await askModel(host, messages, policy));
      if (key !== undefined && !cached) await cache!.set(key, answer);
      const latencyMs = Date.now() - startedAt;
      metrics.llmLatency.observe({ model: policy.model, outcome: 'verdict' }, latencyMs / 1000);
      verdicts.push(modelVerdict(proposal, policy, answer, latencyMs));
    } catch (error) {
      const failure = toLlmFailure(error, host, policy);
      const latencyMs = Date.now() - startedAt;
      metrics.llmLatency.observe({ model: policy.model, outcome: 'fallback' }, latencyMs / 1000);
      metrics.llmFallbacks.inc({ model: policy.model, reason: failure.kind });
      verdicts.push(fallbackVerdict(proposal, policy, failure, latencyMs, false));
      warn('LLM verdict replaced by fallback policy', {
        symbol: proposal.symbol,
        model: policy.model,
        fallback: policy.fallback,
        reason: failure.reason,
      });
      if (failure.affectsWholeBatch) batchFailure = failure;
    }
  }
  return verdicts;
}

// ---------------------------------------------------------------------------------------------------------------
// Asking the model

async function askModel(host: string, messages: Message[], policy: LlmPolicy): Promise<ModelAnswer> {
  // One deadline for the whole question, catalog check included, so timeoutMs bounds each proposal.
  const deadline = AbortSignal.timeout(policy.timeoutMs);
  const client = new Ollama({ host, fetch: fetchWithDeadline(deadline) });
  try {
    if (!(await installedModels.has(client, host, policy.model))) {
      throw new LlmFailure('model_missing', `model not pulled: ${policy.model}`, true);
    }
    const response = await client.chat({
      model: policy.model,
      messages,
      format: VERDICT_JSON_SCHEMA,
      stream: false,
      options: { temperature: 0 },
    });
    return parseModelAnswer(response?.message?.content);
  } catch (error) {
    // Whatever shape the abort surfaces in (fetch rejection, broken body stream), a fired deadline is a timeout.
    if (deadline.aborted && !(error instanceof LlmFailure)) {
      throw new LlmFailure('timeout', `timeout after ${policy.timeoutMs}ms`, true);
    }
    throw error;
  }
}

/**
 * The ollama client passes no signal for non-streaming calls, so the deadline is added at the fetch level.
 * Node's fetch refuses URLs with credentials (and echoes them in its error), so `user:pass@` in OLLAMA_HOST,
 * e.g. for an authenticating proxy, is sent as a Basic Authorization header instead.
 */
function fetchWithDeadline(deadline: AbortSignal): typeof fetch {
  return (input, init) => {
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    if (typeof input !== 'string' && !(input instanceof URL)) return fetch(input, { ...init, signal });
    const url = new URL(input);
    const headers = new Headers(init?.headers);
    if (url.username || url.password) {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      if (!headers.has('authorization')) headers.set('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
      url.username = '';
      url.password = '';
    }
    return fetch(url, { ...init, headers, signal });
  };
}

export function buildMessages(proposal: TradeProposal, context: PortfolioContext): Message[] {
  // Every proposal sent to the LLM carries a signal, a strategy, or both: assertValidInput refused it otherwise.
  const { signal, strategy } = proposal;
  const held = context.positions[proposal.symbol];
  const heldValue = held ? held.quantity * proposal.price : 0;
  const trade = {
    symbol: proposal.symbol,
    side: proposal.side,
    price: proposal.price,
    ...(signal && {
      signal: {
        direction: signal.direction,
        confidence: round(signal.confidence),
        probabilities: mapValues(signal.probabilities, round),
        candleOpenTime: new Date(signal.asOf).toISOString(),
        modelVersion: signal.modelVersion,
      },
    }),
    ...(strategy && {
      strategy: {
        name: strategy.strategy,
        confidence: round(strategy.confidence),
        reason: strategy.reason,
        ...(strategy.stop !== undefined && { stop: strategy.stop }),
        ...(strategy.takeProfit !== undefined && { takeProfit: strategy.takeProfit }),
      },
    }),
  };
  const portfolio = {
    cash: round(context.cash, 2),
    equity: round(context.equity, 2),
    heldInThisSymbol: held
      ? { quantity: held.quantity, avgPrice: held.avgPrice, valueAtPrice: round(heldValue, 2) }
      : null,
    weightOfThisSymbol: context.equity > 0 ? round(heldValue / context.equity) : null,
    otherPositions: Object.values(context.positions)
      .filter((p) => p.symbol !== proposal.symbol && p.quantity !== 0)
      .map((p) => ({ symbol: p.symbol, quantity: p.quantity, avgPrice: p.avgPrice })),
  };
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    {
      role: 'user',
      content: `Trade proposal:\n${JSON.stringify(trade)}\nPortfolio:\n${JSON.stringify(portfolio)}`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Installed-model catalog (GET /api/tags), refreshed at most once a minute per server

class InstalledModelCatalog {
  private readonly byHost = new Map<string, { names: Set<string>; fetchedAt: number }>();

  async has(client: Ollama, host: string, model: string): Promise<boolean> {
    let entry = this.byHost.get(host);
    if (!entry || Date.now() - entry.fetchedAt > MODEL_CATALOG_TTL_MS) {
      const { models } = await client.list();
      const names = new Set((models ?? []).flatMap((m) => [m.name, m.model]).filter(Boolean).map(withTag));
      entry = { names, fetchedAt: Date.now() };
      this.byHost.set(host, entry);
    }
    return entry.names.has(withTag(model));
  }

  /** Forgets what every server had, so the next question asks again (a model may just have been pulled). */
  clear(): void {
    this.byHost.clear();
  }
}

/**
 * Exported as an object, not a function, so a worker registering this module's exports never mistakes it for an
 * activity; tests clear it because fake servers come and go on recycled ports.
 */
export const installedModels = new InstalledModelCatalog();

/** Ollama reads `llama3.1` as `llama3.1:latest`; a ':' before the last '/' is a registry port, not a tag. */
function withTag(model: string): string {
  const lastSegment = model.slice(model.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? model : `${model}:latest`;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the answer

function parseModelAnswer(content: unknown): ModelAnswer {
  if (typeof content !== 'string' || content.trim() === '') {
    throw new LlmFailure('garbage', 'garbage: empty answer', false);
  }
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    throw new LlmFailure('garbage', `garbage: not JSON: ${excerpt(content)}`, false);
  }
  const parsed = modelAnswerSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(answer)'}: ${i.message}`).join('; ');
    throw new LlmFailure('garbage', `garbage: ${problems} in ${excerpt(content)}`, false);
  }
  return { ...parsed.data, reason: parsed.data.reason.slice(0, MAX_REASON_CHARS) };
}

function excerpt(raw: string): string {
  const cut = raw.length > RAW_EXCERPT_CHARS ? `${raw.slice(0, RAW_EXCERPT_CHARS)}…` : raw;
  return JSON.stringify(cut);
}

// ---------------------------------------------------------------------------------------------------------------
// Failures

class LlmFailure extends Error {
  readonly reason: string;

  constructor(
    readonly kind: FallbackKind,
    reason: string,
    /** True when the next proposal would fail the same way (server down, too slow, model absent). */
    readonly affectsWholeBatch: boolean,
  ) {
    // Reasons are persisted and logged; a library error message may quote a URL with credentials in it.
    const scrubbed = reason.replace(/(\w+:\/\/)[^/\s@]*@/g, '$1');
    super(scrubbed);
    this.reason = scrubbed;
    this.name = 'LlmFailure';
  }
}

function toLlmFailure(error: unknown, host: string, policy: LlmPolicy): LlmFailure {
  if (error instanceof LlmFailure) return error;
  const err = error as { name?: string; message?: string; status_code?: number; cause?: unknown };

  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return new LlmFailure('timeout', `timeout after ${policy.timeoutMs}ms`, true);
  }
  if (err?.name === 'ResponseError' && typeof err.status_code === 'number') {
    const message = truncate(err.message ?? '', RAW_EXCERPT_CHARS);
    if (err.status_code === 404 && /model\b.*not found/i.test(message)) {
      return new LlmFailure('model_missing', `model not pulled: ${policy.model}`, true);
    }
    // The server is up but failing this request (e.g. a crashed runner): the next proposal may well succeed.
    return new LlmFailure('unreachable', `unreachable: ${displayHost(host)} answered HTTP ${err.status_code}: ${message}`, false);
  }
  if (err?.name === 'SyntaxError') {
    return new LlmFailure('garbage', `garbage: server reply is not Ollama JSON (${truncate(err.message ?? '', 100)})`, false);
  }
  const code = networkErrorCode(err?.cause);
  if (code || err?.message === 'fetch failed') {
    return new LlmFailure('unreachable', `unreachable: ${displayHost(host)} (${code ?? describeCause(err.cause)})`, true);
  }
  return new LlmFailure('unreachable', `unreachable: ${displayHost(host)} (${truncate(String(err?.message ?? error), 200)})`, false);
}

function networkErrorCode(cause: unknown): string | undefined {
  const c = cause as { code?: unknown; errors?: Array<{ code?: unknown }> } | undefined;
  const code = c?.code ?? c?.errors?.find((e) => e?.code)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeCause(cause: unknown): string {
  return truncate(cause instanceof Error ? cause.message : 'fetch failed', 200);
}

/** OLLAMA_HOST may embed basic-auth credentials behind a proxy: reasons are persisted, so strip them. */
function displayHost(host: string): string {
  try {
    const url = new URL(host.includes('://') ? host : `http://${host}`);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.origin + url.pathname.replace(/\/$/, '');
  } catch {
    return 'OLLAMA_HOST';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Verdicts

function modelVerdict(proposal: TradeProposal, policy: LlmPolicy, answer: ModelAnswer, latencyMs: number): LlmVerdict {
  return {
    symbol: proposal.symbol,
    approve: answer.approve,
    confidence: answer.confidence,
    reason: answer.reason,
    model: policy.model,
    fallback: false,
    sizeMultiplier: 1,
    latencyMs,
  };
}

function fallbackVerdict(
  proposal: TradeProposal,
  policy: LlmPolicy,
  failure: LlmFailure,
  latencyMs: number,
  skipped: boolean,
): LlmVerdict {
  const outcome = FALLBACK_OUTCOME[policy.fallback];
  const note = skipped ? ' (not asked: an earlier proposal of this cycle hit the same failure)' : '';
  return {
    symbol: proposal.symbol,
    approve: outcome.approve,
    confidence: 0,
    reason: `fallback policy '${policy.fallback}' applied: ${failure.reason}${note}`,
    model: policy.model,
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
  signal: z.object({
    direction: z.enum(['up', 'down', 'flat']),
    confidence: finite,
    probabilities: z.object({ up: finite, down: finite, flat: finite }),
    asOf: finite,
    modelVersion: z.string(),
  }).optional(),
  // A strategy's proposal stands on its own: it reaches the LLM with its reason even when the model failed.
  strategy: z.object({ strategy: z.string().min(1), confidence: finite, reason: z.string() }).passthrough().optional(),
}).refine((p) => p.signal !== undefined || p.strategy !== undefined, { message: 'needs a signal or a strategy', path: ['signal'] });
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
    throw ApplicationFailure.create({
      type: 'InvalidLlmInput',
      message: `validateTrades refused its input: ${problems.join('; ')}`,
      nonRetryable: true,
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

function round(value: number, decimals = 4): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function mapValues<K extends string>(record: Record<K, number>, fn: (v: number) => number): Record<K, number> {
  return Object.fromEntries(Object.entries<number>(record).map(([k, v]) => [k, fn(v)])) as Record<K, number>;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The activity logger exists only inside a running activity; unit tests call the function directly. */
function warn(message: string, meta: Record<string, unknown>): void {
  try {
    Context.current().log.warn(message, meta);
  } catch {
    // Outside an activity there is no logger to use; the verdict still records the reason.
  }
}
