/**
 * One question to one model served by Ollama, with a hard deadline, and every way it can go wrong turned into an
 * LlmFailure whose kind the fallback policy and the metrics read. Used only by the LLM activity (activities/llm.ts).
 */
import { Ollama, type Message } from 'ollama';
// zod v4 (shipped inside zod 3.25) can turn the answer schema into the JSON schema Ollama constrains decoding
// with, so the prompt's format and the parser can never disagree.
import { z } from 'zod/v4';

export type FallbackKind = 'unreachable' | 'timeout' | 'garbage' | 'model_missing';

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';
/** Models are pulled rarely; asking the server once a minute keeps a missing model cheap to detect. */
const MODEL_CATALOG_TTL_MS = 60_000;
/** Enough of a bad answer to see what the model did, short enough to keep history rows small. */
const RAW_EXCERPT_CHARS = 200;
/** A model that rambles must not bloat every cycle record. */
const MAX_REASON_CHARS = 500;
/** What the answer's grammar lets a reason run to: one sentence, and a bound on the tokens a slow CPU must produce. */
export const REASON_MAX_LENGTH = 160;

// Extra keys are dropped rather than refused: they cannot make approve/confidence/reason ambiguous.
const modelAnswerSchema = z.object({
  approve: z.boolean(),
  confidence: z.number().min(0).max(1),
  reason: z.string().trim().min(1),
});
export type ModelAnswer = z.infer<typeof modelAnswerSchema>;

/** The confidences a model may answer with: Ollama's grammar bounds a number only by listing its values. */
export const CONFIDENCE_STEPS = Array.from({ length: 21 }, (_, i) => i / 20);

/**
 * The schema Ollama decodes with: the parser's, with the reason bounded so the grammar ends the answer early, and
 * the confidence one of CONFIDENCE_STEPS (llama.cpp's schema-to-grammar ignores a number's minimum and maximum, and a
 * small model then answers 2.5). The parser still takes any confidence from 0 to 1 from other servers.
 */
export const VERDICT_JSON_SCHEMA = (() => {
  const schema = z.toJSONSchema(modelAnswerSchema.extend({ reason: z.string().min(1).max(REASON_MAX_LENGTH) }));
  return { ...schema, properties: { ...(schema.properties as object), confidence: { type: 'number', enum: CONFIDENCE_STEPS } } };
})();

export interface Sampling {
  temperature: number;
  seed: number;
  numPredict: number;
}

export function ollamaHost(): string {
  return process.env.OLLAMA_HOST || DEFAULT_OLLAMA_HOST;
}

export async function askModel(host: string, model: string, messages: Message[], sampling: Sampling, timeoutMs: number): Promise<ModelAnswer> {
  // One deadline for the whole question, catalog check included, so timeoutMs bounds each model's answer.
  const deadline = AbortSignal.timeout(timeoutMs);
  const client = ollamaClient(host, deadline);
  try {
    if (!(await installedModels.has(client, host, model))) {
      throw new LlmFailure('model_missing', `model not pulled: ${model}`, true);
    }
    const response = await client.chat({
      model,
      messages,
      format: VERDICT_JSON_SCHEMA,
      stream: false,
      options: { temperature: sampling.temperature, seed: sampling.seed, num_predict: sampling.numPredict },
    });
    return parseModelAnswer(response?.message?.content);
  } catch (error) {
    // Whatever shape the abort surfaces in (fetch rejection, broken body stream), a fired deadline is a timeout.
    if (deadline.aborted && !(error instanceof LlmFailure)) {
      throw new LlmFailure('timeout', `timeout after ${timeoutMs}ms`, true);
    }
    throw toLlmFailure(error, host, model, timeoutMs);
  }
}

/**
 * A client of the server at `host` whose requests all end at `deadline`: the activity's questions and the health
 * probe (activities/llm/health.ts) reach a server the same way. The ollama client passes no signal for non-streaming
 * calls, so the deadline is added at the fetch level. Node's fetch refuses URLs with credentials (and echoes them in
 * its error), so `user:pass@` in OLLAMA_HOST, e.g. for an authenticating proxy, is sent as a Basic Authorization
 * header instead.
 */
export function ollamaClient(host: string, deadline: AbortSignal): Ollama {
  return new Ollama({ host, fetch: fetchWithDeadline(deadline) });
}

/** The models the server has pulled (GET /api/tags), each name with its tag (withTag). */
export async function pulledModels(client: Ollama): Promise<Set<string>> {
  const { models } = await client.list();
  return new Set((models ?? []).flatMap((m) => [m.name, m.model]).filter(Boolean).map(withTag));
}

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

// ---------------------------------------------------------------------------------------------------------------
// Installed-model catalog (GET /api/tags), refreshed at most once a minute per server

class InstalledModelCatalog {
  private readonly byHost = new Map<string, { names: Set<string>; fetchedAt: number }>();

  async has(client: Ollama, host: string, model: string): Promise<boolean> {
    let entry = this.byHost.get(host);
    if (!entry || Date.now() - entry.fetchedAt > MODEL_CATALOG_TTL_MS) {
      entry = { names: await pulledModels(client), fetchedAt: Date.now() };
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
 * Exported as an object, not a function, so a worker registering the activity module's exports never mistakes it
 * for an activity; tests clear it because fake servers come and go on recycled ports.
 */
export const installedModels = new InstalledModelCatalog();

/** Ollama reads `llama3.1` as `llama3.1:latest`; a ':' before the last '/' is a registry port, not a tag. */
export function withTag(model: string): string {
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
  return JSON.stringify(truncate(raw, RAW_EXCERPT_CHARS));
}

// ---------------------------------------------------------------------------------------------------------------
// Failures

export class LlmFailure extends Error {
  readonly reason: string;

  constructor(
    readonly kind: FallbackKind,
    reason: string,
    /** True when the model's next question would fail the same way (server down, too slow, model absent). */
    readonly affectsWholeBatch: boolean,
  ) {
    const scrubbed = withoutCredentials(reason);
    super(scrubbed);
    this.reason = scrubbed;
    this.name = 'LlmFailure';
  }
}

/** Reasons are persisted and logged; a library error message may quote a URL with credentials in it. */
export function withoutCredentials(text: string): string {
  return text.replace(/(\w+:\/\/)[^/\s@]*@/g, '$1');
}

function toLlmFailure(error: unknown, host: string, model: string, timeoutMs: number): LlmFailure {
  if (error instanceof LlmFailure) return error;
  const err = error as { name?: string; message?: string; status_code?: number; cause?: unknown };

  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return new LlmFailure('timeout', `timeout after ${timeoutMs}ms`, true);
  }
  if (err?.name === 'ResponseError' && typeof err.status_code === 'number') {
    const message = truncate(err.message ?? '', RAW_EXCERPT_CHARS);
    if (err.status_code === 404 && /model\b.*not found/i.test(message)) {
      return new LlmFailure('model_missing', `model not pulled: ${model}`, true);
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
export function displayHost(host: string): string {
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

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
