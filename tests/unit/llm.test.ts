import { ApplicationFailure } from '@temporalio/common';
import { Ollama } from 'ollama';
import { installedModels, validateTrades, VERDICT_JSON_SCHEMA, type ValidateTradesInput } from '../../activities/llm';
import { metrics } from '../../activities/metrics';
import type { LlmPolicy } from '../../domain/config';
import type { TradeProposal } from '../../domain/types';
import { APPROVE_ANSWER, closedPortUrl, startFakeOllama, type FakeOllama } from '../helpers/fakeOllama';

const MODEL = 'llama3.1:8b';

function proposal(symbol = 'BTC/USDT', side: 'buy' | 'sell' = 'buy', price = 65_000): TradeProposal {
  return {
    symbol,
    side,
    price,
    signal: {
      symbol,
      asOf: Date.UTC(2025, 0, 1, 12),
      direction: side === 'buy' ? 'up' : 'down',
      confidence: 0.62,
      probabilities: { up: 0.62, down: 0.13, flat: 0.25 },
      modelVersion: 'gbm-v3',
    },
  };
}

function input(proposals: TradeProposal[], policy: Partial<LlmPolicy> = {}): ValidateTradesInput {
  return {
    proposals,
    policy: { model: MODEL, timeoutMs: 2_000, fallback: 'reject', ...policy },
    context: {
      portfolioId: 'test',
      cash: 8_000,
      equity: 10_000,
      positions: { 'ETH/USDT': { symbol: 'ETH/USDT', quantity: 0.5, avgPrice: 3_000 } },
    },
  };
}

async function fallbackCount(reason: string): Promise<number> {
  const { values } = await metrics.llmFallbacks.get();
  return values.find((v) => v.labels.model === MODEL && v.labels.reason === reason)?.value ?? 0;
}

async function latencyCount(outcome: string): Promise<number> {
  const { values } = await metrics.llmLatency.get();
  const count = values.find(
    (v) => v.metricName === 'trader_llm_latency_seconds_count' && v.labels.model === MODEL && v.labels.outcome === outcome,
  );
  return count?.value ?? 0;
}

const originalHost = process.env.OLLAMA_HOST;
let fake: FakeOllama | undefined;

async function useFake(...args: Parameters<typeof startFakeOllama>): Promise<FakeOllama> {
  fake = await startFakeOllama(...args);
  process.env.OLLAMA_HOST = fake.url;
  return fake;
}

beforeEach(() => installedModels.clear());
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  if (originalHost === undefined) delete process.env.OLLAMA_HOST;
  else process.env.OLLAMA_HOST = originalHost;
});

describe('validateTrades: model verdicts', () => {
  it('returns the approving verdict the model gave, from a request carrying model, schema and proposal', async () => {
    const server = await useFake({ respond: () => APPROVE_ANSWER });

    const [verdict] = await validateTrades(input([proposal()]));

    expect(verdict).toMatchObject({
      symbol: 'BTC/USDT',
      approve: true,
      confidence: 0.8,
      reason: 'signal and exposure look fine',
      model: MODEL,
      fallback: false,
      sizeMultiplier: 1,
    });
    expect(verdict.fallbackReason).toBeUndefined();
    expect(verdict.latencyMs).toBeGreaterThanOrEqual(0);

    const [request] = server.chatRequests();
    expect(request.model).toBe(MODEL);
    expect(request.stream).toBe(false);
    expect(request.options).toEqual({ temperature: 0, seed: 42, num_predict: 96 });
    expect(request.format).toEqual(VERDICT_JSON_SCHEMA);
    expect(request.format).toMatchObject({
      type: 'object',
      properties: { approve: { type: 'boolean' }, confidence: { type: 'number' }, reason: { type: 'string' } },
      required: ['approve', 'confidence', 'reason'],
    });
    const [system, user] = request.messages ?? [];
    expect(system.role).toBe('system');
    expect(system.content).toMatch(/risk reviewer/i);
    expect(system.content).toMatch(/only a JSON object/i);
    expect(user.role).toBe('user');
    for (const fragment of ['Trade: BUY BTC/USDT at 65000 (entry)', 'Model signal: up, P(up) 0.62', 'cash 8000', 'equity 10000', 'also holds ETH/USDT 0.5']) {
      expect(user.content).toContain(fragment);
    }
  });

  it('returns one verdict per proposal in order, rejections included, asking /api/tags only once', async () => {
    const server = await useFake({
      respond: (req) =>
        req.messages?.[1].content.includes('SOL/USDT')
          ? JSON.stringify({ approve: false, confidence: 0.7, reason: 'signal too weak for a new position' })
          : APPROVE_ANSWER,
    });

    const verdicts = await validateTrades(input([proposal('BTC/USDT'), proposal('SOL/USDT', 'buy', 150), proposal('ETH/USDT', 'sell', 3_100)]));

    expect(verdicts.map((v) => [v.symbol, v.approve, v.fallback])).toEqual([
      ['BTC/USDT', true, false],
      ['SOL/USDT', false, false],
      ['ETH/USDT', true, false],
    ]);
    expect(verdicts[1]).toMatchObject({ confidence: 0.7, reason: 'signal too weak for a new position', sizeMultiplier: 1 });
    expect(server.requests.filter((r) => r.path === '/api/tags')).toHaveLength(1);
    expect(server.chatRequests()).toHaveLength(3);
  });

  it('returns [] without calling the server when there is nothing to review', async () => {
    const server = await useFake();
    await expect(validateTrades(input([]))).resolves.toEqual([]);
    expect(server.requests).toHaveLength(0);
  });
});

describe('validateTrades: garbage answers fall back', () => {
  const garbage: Array<[string, string, RegExp]> = [
    ['non-JSON', 'Sure! This trade looks good to me.', /^garbage: not JSON: "Sure! This trade/],
    ['a missing field', JSON.stringify({ approve: true, confidence: 0.5 }), /^garbage: reason: .*in "/],
    ['confidence 2', JSON.stringify({ approve: true, confidence: 2, reason: 'very sure' }), /^garbage: confidence: .*<=1/],
    ['a wrong type', JSON.stringify({ approve: 'yes', confidence: 0.9, reason: 'ok' }), /^garbage: approve: .*boolean/],
    ['an empty reason', JSON.stringify({ approve: true, confidence: 0.9, reason: '   ' }), /^garbage: reason: /],
    ['an empty answer', '', /^garbage: empty answer$/],
  ];
  const policies: Array<[LlmPolicy['fallback'], boolean, number]> = [
    ['reject', false, 0],
    ['approve-reduced', true, 0.5],
    ['approve', true, 1],
  ];

  describe.each(policies)("with fallback '%s'", (fallback, approve, sizeMultiplier) => {
    it.each(garbage)('an answer with %s', async (_label, answer, expectedReason) => {
      await useFake({ respond: () => answer });

      const [verdict] = await validateTrades(input([proposal()], { fallback }));

      expect(verdict).toMatchObject({ symbol: 'BTC/USDT', approve, sizeMultiplier, confidence: 0, model: MODEL, fallback: true });
      expect(verdict.fallbackReason).toMatch(expectedReason);
      expect(verdict.reason).toContain(`fallback policy '${fallback}'`);
    });
  });

  it('keeps only an excerpt of a long bad answer, and still asks the model for the next proposal', async () => {
    const server = await useFake({ respond: () => 'x'.repeat(5_000) });

    const verdicts = await validateTrades(input([proposal('BTC/USDT'), proposal('SOL/USDT', 'buy', 150)]));

    expect(verdicts[0].fallbackReason!.length).toBeLessThan(300);
    expect(verdicts[1].fallbackReason).toMatch(/^garbage: not JSON/);
    expect(server.chatRequests()).toHaveLength(2);
  });
});

describe('validateTrades: server failures fall back', () => {
  it('times out a slow server after timeoutMs and does not wait again for the rest', async () => {
    const server = await useFake({ delayMs: 5_000 });
    const timeoutMs = 300;

    const startedAt = Date.now();
    const verdicts = await validateTrades(
      input([proposal('BTC/USDT'), proposal('SOL/USDT', 'buy', 150), proposal('ETH/USDT', 'sell', 3_100)], {
        timeoutMs,
        fallback: 'approve-reduced',
      }),
    );
    const elapsed = Date.now() - startedAt;

    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 20);
    expect(elapsed).toBeLessThan(timeoutMs + 700);
    for (const verdict of verdicts) {
      expect(verdict).toMatchObject({ fallback: true, fallbackReason: 'timeout after 300ms', approve: true, sizeMultiplier: 0.5 });
    }
    expect(verdicts[0].latencyMs).toBeGreaterThanOrEqual(timeoutMs - 20);
    expect(verdicts[1].latencyMs).toBe(0);
    expect(verdicts[2].reason).toMatch(/not asked/);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('reports an unreachable server and waits only for the first proposal', async () => {
    process.env.OLLAMA_HOST = await closedPortUrl();

    const startedAt = Date.now();
    const verdicts = await validateTrades(input([proposal('BTC/USDT'), proposal('SOL/USDT', 'buy', 150), proposal('ETH/USDT', 'sell', 3_100)]));

    expect(Date.now() - startedAt).toBeLessThan(1_000);
    for (const verdict of verdicts) {
      expect(verdict).toMatchObject({ fallback: true, approve: false, sizeMultiplier: 0, confidence: 0, model: MODEL });
      expect(verdict.fallbackReason).toMatch(/^unreachable: http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);
    }
    expect(new Set(verdicts.map((v) => v.fallbackReason)).size).toBe(1);
    expect(verdicts[1].latencyMs).toBe(0);
    expect(verdicts[2].latencyMs).toBe(0);
  });

  it('never puts credentials from OLLAMA_HOST into a reason', async () => {
    const url = new URL(await closedPortUrl());
    process.env.OLLAMA_HOST = `http://reviewer:s3cret-token@${url.host}`;

    const [verdict] = await validateTrades(input([proposal()]));

    expect(verdict.fallbackReason).toMatch(/^unreachable: /);
    expect(JSON.stringify(verdict)).not.toMatch(/s3cret|reviewer/);
  });

  it('sends user:pass from OLLAMA_HOST as a Basic Authorization header, as an authenticating proxy expects', async () => {
    const server = await useFake();
    process.env.OLLAMA_HOST = server.url.replace('http://', 'http://reviewer:s3cret-token@');

    const [verdict] = await validateTrades(input([proposal()]));

    expect(verdict.fallback).toBe(false);
    const expected = `Basic ${Buffer.from('reviewer:s3cret-token').toString('base64')}`;
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([expected, expected]);
  });

  it("falls back with 'model not pulled' when /api/tags does not list the model, without asking for a chat", async () => {
    const server = await useFake({ models: ['mistral:7b'] });

    const verdicts = await validateTrades(input([proposal('BTC/USDT'), proposal('SOL/USDT', 'buy', 150)], { fallback: 'approve' }));

    for (const verdict of verdicts) {
      expect(verdict).toMatchObject({ fallback: true, fallbackReason: `model not pulled: ${MODEL}`, approve: true, sizeMultiplier: 1 });
    }
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("reads an untagged model name as ':latest', as Ollama does", async () => {
    await useFake({ models: ['qwen2.5:latest'] });

    const [verdict] = await validateTrades({ ...input([proposal()]), policy: { model: 'qwen2.5', timeoutMs: 2_000, fallback: 'reject' } });

    expect(verdict).toMatchObject({ fallback: false, approve: true, model: 'qwen2.5' });
  });

  it("maps Ollama's 404 'model not found' on /api/chat to 'model not pulled'", async () => {
    const server = await useFake({ status: 404, errorBody: { error: `model "${MODEL}" not found, try pulling it first` } });

    const verdicts = await validateTrades(input([proposal('BTC/USDT'), proposal('SOL/USDT', 'buy', 150)]));

    expect(verdicts.map((v) => v.fallbackReason)).toEqual([`model not pulled: ${MODEL}`, `model not pulled: ${MODEL}`]);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('treats an HTTP 500 as a failure of that request only and keeps asking for the others', async () => {
    const server = await useFake({ status: 500, errorBody: { error: 'llama runner process has terminated' } });

    const verdicts = await validateTrades(input([proposal('BTC/USDT'), proposal('SOL/USDT', 'buy', 150)]));

    expect(verdicts[0].fallbackReason).toMatch(/^unreachable: http:\/\/127\.0\.0\.1:\d+ answered HTTP 500: llama runner process has terminated$/);
    expect(server.chatRequests()).toHaveLength(2);
  });
});

describe('validateTrades: metrics', () => {
  it('counts fallbacks by reason kind and observes latency by outcome', async () => {
    const before = {
      garbage: await fallbackCount('garbage'),
      timeout: await fallbackCount('timeout'),
      unreachable: await fallbackCount('unreachable'),
      modelMissing: await fallbackCount('model_missing'),
      verdictLatency: await latencyCount('verdict'),
      fallbackLatency: await latencyCount('fallback'),
    };

    const server = await useFake({ respond: (req) => (req.messages?.[1].content.includes('SOL/USDT') ? 'nope' : APPROVE_ANSWER) });
    await validateTrades(input([proposal('BTC/USDT'), proposal('SOL/USDT', 'buy', 150)]));
    server.behaviour.delayMs = 2_000;
    await validateTrades(input([proposal('BTC/USDT'), proposal('SOL/USDT', 'buy', 150)], { timeoutMs: 200 }));
    server.behaviour.delayMs = 0;
    server.behaviour.models = [];
    installedModels.clear();
    await validateTrades(input([proposal('BTC/USDT')]));
    process.env.OLLAMA_HOST = await closedPortUrl();
    await validateTrades(input([proposal('BTC/USDT'), proposal('SOL/USDT', 'buy', 150), proposal('ETH/USDT', 'sell', 3_100)]));

    expect(await fallbackCount('garbage')).toBe(before.garbage + 1);
    expect(await fallbackCount('timeout')).toBe(before.timeout + 2);
    expect(await fallbackCount('model_missing')).toBe(before.modelMissing + 1);
    expect(await fallbackCount('unreachable')).toBe(before.unreachable + 3);
    expect(await latencyCount('verdict')).toBe(before.verdictLatency + 1);
    // Proposals skipped after a batch-wide failure made no call, so they add no latency sample.
    expect(await latencyCount('fallback')).toBe(before.fallbackLatency + 4);
  });
});

describe('validateTrades: bad input', () => {
  it('throws a non-retryable InvalidLlmInput for an empty model name, before any request', async () => {
    const server = await useFake();

    const failure = await validateTrades({ ...input([proposal()]), policy: { model: '', timeoutMs: 2_000, fallback: 'reject' } }).catch((e) => e);

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'InvalidLlmInput', nonRetryable: true });
    expect(failure.message).toMatch(/policy\.model/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a proposal with a non-positive price', async () => {
    await useFake();
    await expect(validateTrades(input([proposal('BTC/USDT', 'buy', 0)]))).rejects.toMatchObject({
      type: 'InvalidLlmInput',
      message: expect.stringMatching(/proposals\.0\.price/),
    });
  });
});

describe('fakeOllama helper', () => {
  it('streams newline-delimited chunks when the client asks for stream: true', async () => {
    const server = await useFake({ respond: () => APPROVE_ANSWER });
    const client = new Ollama({ host: server.url });

    let content = '';
    let chunks = 0;
    for await (const part of await client.chat({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true })) {
      content += part.message.content;
      chunks += 1;
    }

    expect(content).toBe(APPROVE_ANSWER);
    expect(chunks).toBeGreaterThan(2);
  });

  it('lists installed models like /api/tags does', async () => {
    const server = await useFake({ models: ['llama3.1:8b', 'mistral:7b'] });
    const { models } = await new Ollama({ host: server.url }).list();
    expect(models.map((m) => m.name)).toEqual(['llama3.1:8b', 'mistral:7b']);
    expect(models[0].details.family).toBe('llama');
  });
});
