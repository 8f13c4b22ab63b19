/**
 * The LLM's health as a worker serving the llm queue sees it, for `/health` and the metrics:
 *   - `down`      the Ollama server does not answer (refused, unknown host, HTTP error on /api/tags);
 *   - `degraded`  it answers but a model the portfolios ask for is not pulled, or recent questions were slow
 *                 (the median latency above half the budget) or fell back more often than not;
 *   - `ready`     otherwise.
 * It combines a light probe (GET /api/tags every PROBE_INTERVAL_MS) with the outcome of the last questions the
 * activity asked, so an Ollama that answers the catalog but whose runner crashes on every chat still shows.
 */
import { metrics } from '../metrics';
import { displayHost, ollamaClient, pulledModels, withoutCredentials, withTag, type FallbackKind } from './ollamaChat';

export type LlmStatus = 'ready' | 'degraded' | 'down';

export interface LlmHealth {
  status: LlmStatus;
  reason: string;
  host: string;
  /** Share of the last RECENT questions (all models) that fell back. */
  fallbackRate: number | null;
  medianLatencyMs: number | null;
  models: Record<string, { pulled: boolean | null; fallbackRate: number | null }>;
  checkedAt: string | null;
}

const RECENT = 20;
const PROBE_INTERVAL_MS = 15_000;
const PROBE_TIMEOUT_MS = 3_000;
const STATUS_VALUE: Record<LlmStatus, number> = { down: 0, degraded: 1, ready: 2 };

interface Outcome {
  fallback: boolean;
  kind?: FallbackKind;
  latencyMs: number;
  timeoutMs: number;
}

class LlmHealthTracker {
  private readonly outcomes = new Map<string, Outcome[]>();
  private readonly expected = new Set<string>();
  private probe: { host: string; reachable: boolean; error?: string; pulled: Set<string>; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Models a portfolio will ask for (npm start's default portfolio), checked before any question is asked. */
  expect(models: string[]): void {
    for (const m of models) this.expected.add(m);
  }

  /** Called by the activity for every model's answer or fallback. */
  record(model: string, outcome: Outcome): void {
    this.expected.add(model);
    const list = this.outcomes.get(model) ?? [];
    list.push(outcome);
    if (list.length > RECENT) list.shift();
    this.outcomes.set(model, list);
    metrics.llmVerdicts.inc({ model, outcome: outcome.fallback ? 'fallback' : 'verdict' });
    metrics.llmFallbackRate.set({ model }, list.filter((o) => o.fallback).length / list.length);
    metrics.llmStatus.set(STATUS_VALUE[this.snapshot().status]);
  }

  async probeNow(host: string): Promise<void> {
    try {
      const pulled = await pulledModels(ollamaClient(host, AbortSignal.timeout(PROBE_TIMEOUT_MS)));
      this.probe = { host, reachable: true, pulled, at: Date.now() };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const error = withoutCredentials(cause ?? (err as Error).message ?? String(err));
      this.probe = { host, reachable: false, error, pulled: new Set(), at: Date.now() };
    }
    metrics.llmStatus.set(STATUS_VALUE[this.snapshot().status]);
  }

  /** Probes now and then every PROBE_INTERVAL_MS until stopProbing (the timer does not keep the process alive). */
  startProbing(host: () => string): void {
    this.stopProbing();
    void this.probeNow(host());
    this.timer = setInterval(() => void this.probeNow(host()), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  stopProbing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  snapshot(): LlmHealth {
    const all = [...this.outcomes.values()].flat();
    const fallbackRate = all.length ? all.filter((o) => o.fallback).length / all.length : null;
    const answered = all.filter((o) => !o.fallback).map((o) => o.latencyMs).sort((a, b) => a - b);
    const medianLatencyMs = answered.length ? answered[Math.floor(answered.length / 2)] : null;
    const models: LlmHealth['models'] = {};
    for (const m of this.expected) {
      const list = this.outcomes.get(m) ?? [];
      models[m] = {
        pulled: this.probe?.reachable ? this.probe.pulled.has(withTag(m)) : null,
        fallbackRate: list.length ? list.filter((o) => o.fallback).length / list.length : null,
      };
    }
    const base = { host: this.probe ? displayHost(this.probe.host) : '', fallbackRate, medianLatencyMs, models, checkedAt: this.probe ? new Date(this.probe.at).toISOString() : null };
    return { ...base, ...this.verdict(all, models, medianLatencyMs) };
  }

  private verdict(all: Outcome[], models: LlmHealth['models'], median: number | null): { status: LlmStatus; reason: string } {
    if (this.probe && !this.probe.reachable) return { status: 'down', reason: `Ollama unreachable at ${displayHost(this.probe.host)} (${this.probe.error})` };
    const last = all.slice(-3);
    if (!this.probe && last.length === 3 && last.every((o) => o.kind === 'unreachable')) return { status: 'down', reason: 'the last questions found Ollama unreachable' };
    const missing = Object.entries(models).filter(([, m]) => m.pulled === false).map(([name]) => name);
    if (missing.length) return { status: 'degraded', reason: `model not pulled: ${missing.join(', ')}` };
    const recent = all.slice(-RECENT);
    const timeouts = recent.filter((o) => o.kind === 'timeout').length;
    const budget = recent.length ? recent[recent.length - 1].timeoutMs : Infinity;
    if (timeouts > 0 && timeouts * 2 >= recent.length) return { status: 'degraded', reason: `slow: ${timeouts} of the last ${recent.length} questions timed out` };
    if (median !== null && median > budget / 2) return { status: 'degraded', reason: `slow: median answer ${Math.round(median)} ms, budget ${budget} ms` };
    const fallbacks = recent.filter((o) => o.fallback).length;
    if (fallbacks * 2 > recent.length) return { status: 'degraded', reason: `${fallbacks} of the last ${recent.length} questions fell back` };
    if (!this.probe && all.length === 0) return { status: 'degraded', reason: 'not checked yet' };
    return { status: 'ready', reason: all.length ? `answering (median ${median ?? 'n/a'} ms)` : 'Ollama answers; no question asked yet' };
  }

  /** Tests: forget outcomes, expectations and probes. */
  reset(): void {
    this.outcomes.clear();
    this.expected.clear();
    this.probe = undefined;
  }
}

/** An object, not a function: the worker registers the activity module's exports and must not take it for one. */
export const llmHealth = new LlmHealthTracker();
