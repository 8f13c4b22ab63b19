/**
 * A loopback HTTP server that speaks the slice of Ollama's API the project uses (`POST /api/chat`,
 * `GET /api/tags`), so the real `ollama` client is exercised end to end without a model on the machine.
 * Response shapes follow Ollama's own: a single JSON object for `stream: false` (what the client sends by
 * default) and newline-delimited JSON chunks for `stream: true`.
 */
import { createServer, type ServerResponse } from 'node:http';
import { EMBEDDED_LLM_MODEL } from '../../domain/config';
import { freePort, jsonOrText, listenOnLoopback, readBody } from './loopbackServer';

export interface ChatRequestBody {
  model: string;
  messages?: Array<{ role: string; content: string }>;
  stream?: boolean;
  format?: unknown;
  options?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  /** Parsed JSON body, or the raw text when it was not JSON; undefined for a bodiless GET. */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  receivedAt: number;
}

export interface FakeOllamaBehaviour {
  /** Turns a chat request into the assistant's message content. Default: an approving verdict. */
  respond: (request: ChatRequestBody) => string;
  /** Delay before `/api/chat` answers, ms (`/api/tags` always answers at once). */
  delayMs: number;
  /** Per-model delays overriding delayMs, e.g. one slow model in a panel. */
  delayByModel?: Record<string, number>;
  /** Forces `/api/chat` to fail with this HTTP status and `errorBody` (sent as JSON). */
  status?: number;
  errorBody?: unknown;
  /** Models `/api/tags` lists; a chat for any other model (untagged = `:latest`) gets Ollama's 404 "not found, try pulling it first". */
  models: string[];
}

export interface FakeOllama {
  url: string;
  requests: ReceivedRequest[];
  /** Current behaviour; tests may change it between calls. */
  behaviour: FakeOllamaBehaviour;
  chatRequests(): ChatRequestBody[];
  close(): Promise<void>;
}

export const APPROVE_ANSWER = JSON.stringify({ approve: true, confidence: 0.8, reason: 'signal and exposure look fine' });

export async function startFakeOllama(overrides: Partial<FakeOllamaBehaviour> = {}): Promise<FakeOllama> {
  const behaviour: FakeOllamaBehaviour = {
    respond: () => APPROVE_ANSWER,
    delayMs: 0,
    // The default portfolio's model and the one the unit tests name.
    models: [EMBEDDED_LLM_MODEL, 'llama3.1:8b'],
    ...overrides,
  };
  const requests: ReceivedRequest[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();

  const server = createServer(async (req, res) => {
    // A client that gave up mid-answer must not crash the test process with EPIPE.
    res.on('error', () => undefined);
    const text = await readBody(req).catch(() => '');
    const body = text === '' ? undefined : jsonOrText(text);
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    requests.push({ method: req.method ?? 'GET', path, body, headers: req.headers, receivedAt: Date.now() });

    if (req.method === 'GET' && path === '/api/tags') return sendJson(res, 200, { models: fake.behaviour.models.map(tagEntry) });
    if (req.method === 'POST' && path === '/api/chat') {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        answerChat(res, body as ChatRequestBody, fake.behaviour);
      }, fake.behaviour.delayByModel?.[(body as ChatRequestBody)?.model] ?? fake.behaviour.delayMs);
      pendingTimers.add(timer);
      res.on('close', () => {
        clearTimeout(timer);
        pendingTimers.delete(timer);
      });
      return;
    }
    sendText(res, 404, '404 page not found');
  });

  const loopback = await listenOnLoopback(server);

  const fake: FakeOllama = {
    url: loopback.url,
    requests,
    behaviour,
    chatRequests: () => requests.filter((r) => r.path === '/api/chat').map((r) => r.body as ChatRequestBody),
    close: () => {
      pendingTimers.forEach(clearTimeout);
      pendingTimers.clear();
      return loopback.close();
    },
  };
  return fake;
}

function answerChat(res: ServerResponse, request: ChatRequestBody, behaviour: FakeOllamaBehaviour): void {
  // The client may have given up (timeout) while we were "thinking"; writing then would only raise EPIPE.
  if (res.destroyed) return;
  if (behaviour.status !== undefined) return sendJson(res, behaviour.status, behaviour.errorBody ?? { error: 'fake failure' });
  if (!behaviour.models.map(withTag).includes(withTag(request.model))) {
    return sendJson(res, 404, { error: `model "${request.model}" not found, try pulling it first` });
  }
  const content = behaviour.respond(request);
  const createdAt = new Date().toISOString();
  const stats = {
    total_duration: 1_234_567_890,
    load_duration: 12_345_678,
    prompt_eval_count: 120,
    prompt_eval_duration: 234_567_890,
    eval_count: 40,
    eval_duration: 987_654_321,
  };
  if (!request.stream) {
    return sendJson(res, 200, {
      model: request.model,
      created_at: createdAt,
      message: { role: 'assistant', content },
      done_reason: 'stop',
      done: true,
      ...stats,
    });
  }
  // Ollama streams one JSON object per line: content pieces with done=false, then an empty final chunk with stats.
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  for (const piece of content.match(/[\s\S]{1,8}/g) ?? []) {
    res.write(`${JSON.stringify({ model: request.model, created_at: createdAt, message: { role: 'assistant', content: piece }, done: false })}\n`);
  }
  res.end(
    `${JSON.stringify({
      model: request.model,
      created_at: createdAt,
      message: { role: 'assistant', content: '' },
      done_reason: 'stop',
      done: true,
      ...stats,
    })}\n`,
  );
}

/** Ollama resolves an untagged name to `:latest`. */
function withTag(model: string): string {
  return model.slice(model.lastIndexOf('/') + 1).includes(':') ? model : `${model}:latest`;
}

function tagEntry(name: string) {
  return {
    name,
    model: name,
    modified_at: '2025-01-01T00:00:00.000000000Z',
    size: 4_920_753_328,
    digest: '46e0c10c039e019119339687c3c1757cc81b9da49709a3b3924863ba87ca666e',
    details: {
      parent_model: '',
      format: 'gguf',
      family: 'llama',
      families: ['llama'],
      parameter_size: '8.0B',
      quantization_level: 'Q4_K_M',
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}

/** A loopback URL where nothing listens. */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
