/**
 * The real LLM: the embedded Ollama that `npm ci` built (.tools/ollama) serving SmolLM2-135M, started and stopped as
 * `npm start` does it. A trading cycle (the real workflows, the real activities) gets its verdicts from the model, a
 * panel of two model entries reaches a consensus, a model that is not pulled and an Ollama killed mid-question fall
 * back as documented. Few questions, capped tokens: the model answers in seconds on two cores.
 * Without a built Ollama the suite is skipped locally, and fails in CI, where .ci/run builds one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installedModels, validateTrades, type ValidateTradesInput } from '../../activities/llm';
import { llmHealth } from '../../activities/llm/health';
import { recentCycles, recentOrders, traceOrder } from '../../activities/persistence/queries';
import { portfolioHandle, portfolioOps, startPortfolio } from '../../client/tradingClient';
import { EMBEDDED_LLM_MODEL, type LlmPolicy } from '../../domain/config';
import type { TradeProposal } from '../../domain/types';
import { openDatabase } from '../../prisma/database';
import { BUNDLED_MODELFILE, importModel, ollamaAnswers, ollamaBinaryPath, startEmbeddedOllama, type EmbeddedOllama } from '../../workers/ollamaServer';
import { closedPortUrl } from '../helpers/fakeOllama';
import { replayConfig, startTestStack, waitFor, type TestStack } from '../helpers/testStack';

const SECOND_ENTRY = 'smollm2-panel:135m';
const installed = Boolean(ollamaBinaryPath()) && fs.existsSync(BUNDLED_MODELFILE);
const suite = installed ? describe : describe.skip;

if (!installed && process.env.CI === 'true') {
  it('runs in CI: .ci/run builds Ollama into .tools/ollama', () => {
    throw new Error('no Ollama in .tools/ollama: scripts/install-ollama.sh did not build it (see its output in the CI log)');
  });
}

suite('the embedded Ollama with SmolLM2-135M', () => {
  let dir: string;
  let ollama: EmbeddedOllama;
  let url: URL;
  const originalHost = process.env.OLLAMA_HOST;

  const start = () => startEmbeddedOllama({ url, modelsDir: path.join(dir, 'models'), logFile: path.join(dir, 'ollama.log') });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'real-ollama-'));
    url = new URL(await closedPortUrl());
    ollama = await start();
    await importModel(ollama.url, EMBEDDED_LLM_MODEL, BUNDLED_MODELFILE);
    // A second entry of the same weights with its own context size: Ollama serves it as another model.
    const second = path.join(dir, 'Modelfile');
    fs.writeFileSync(second, `${fs.readFileSync(BUNDLED_MODELFILE, 'utf8').replace(/^PARAMETER num_ctx .*$/m, '')}PARAMETER num_ctx 1024\n`);
    await importModel(ollama.url, SECOND_ENTRY, second);
    process.env.OLLAMA_HOST = ollama.url;
  }, 120_000);
  afterAll(async () => {
    await ollama?.stop();
    if (originalHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = originalHost;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => installedModels.clear());

  const policy = (patch: Partial<LlmPolicy> = {}): LlmPolicy => ({ model: EMBEDDED_LLM_MODEL, timeoutMs: 60_000, fallback: 'reject', sampling: { numPredict: 64 }, ...patch });
  const proposal: TradeProposal = {
    symbol: 'ETH/USDT', side: 'buy', price: 3_412.5, intent: 'entry',
    signal: { symbol: 'ETH/USDT', asOf: Date.UTC(2025, 0, 2), direction: 'up', confidence: 0.58, probabilities: { up: 0.58, down: 0.14, flat: 0.28 }, modelVersion: 'm1' },
  };
  const input = (p: LlmPolicy): ValidateTradesInput => ({
    proposals: [proposal],
    policy: p,
    context: {
      portfolioId: 'p', cash: 9_000, equity: 10_000, positions: {},
      market: { 'ETH/USDT': { atrPct: 0.012, change24h: 0.021, indicators: { rsi_14: 58.1, close_to_sma_50: 0.018, volume_ratio_20: 1.2 } } },
      recentTrades: [], usage: [{ limit: 'maxTotalExposure', used: 0.1, max: 0.8 }],
    },
  });

  it('answers a trade review with schema-valid JSON from the real model, the same answer for the same question', async () => {
    const [verdict] = await validateTrades(input(policy()));
    const [again] = await validateTrades(input(policy()));

    expect(verdict).toMatchObject({ symbol: 'ETH/USDT', fallback: false, model: EMBEDDED_LLM_MODEL, consensus: 'single model' });
    expect(typeof verdict.approve).toBe('boolean');
    expect(verdict.confidence).toBeGreaterThanOrEqual(0);
    expect(verdict.confidence).toBeLessThanOrEqual(1);
    expect(verdict.reason.length).toBeGreaterThan(0);
    // Temperature 0 and a fixed seed: the question asked again gets the same answer.
    expect([again.approve, again.confidence, again.reason]).toEqual([verdict.approve, verdict.confidence, verdict.reason]);
    console.log(`real model verdict in ${verdict.latencyMs} ms (again ${again.latencyMs} ms): ${JSON.stringify({ approve: verdict.approve, confidence: verdict.confidence, reason: verdict.reason })}`);
  });

  it('reaches a consensus across two real model entries, recording each vote', async () => {
    const [verdict] = await validateTrades(input(policy({ models: [{ model: EMBEDDED_LLM_MODEL }, { model: SECOND_ENTRY, weight: 2 }], consensus: 'weighted' })));

    expect(verdict.models!.map((m) => [m.model, m.fallback])).toEqual([[EMBEDDED_LLM_MODEL, false], [SECOND_ENTRY, false]]);
    expect(verdict).toMatchObject({ fallback: false, model: `${EMBEDDED_LLM_MODEL}+${SECOND_ENTRY}`, consensus: expect.stringMatching(/^weighted: weight x confidence /) });
    console.log(`panel of two in ${verdict.latencyMs} ms: ${verdict.consensus}`);
  });

  it('falls back with "model not pulled" for a model the server lacks, and health says degraded', async () => {
    llmHealth.reset();
    const [verdict] = await validateTrades(input(policy({ model: 'absent-model:1b', fallback: 'approve-reduced' })));

    expect(verdict).toMatchObject({ fallback: true, fallbackReason: 'model not pulled: absent-model:1b', approve: true, sizeMultiplier: 0.5 });
    await llmHealth.probeNow(ollama.url);
    expect(llmHealth.snapshot()).toMatchObject({ status: 'degraded', reason: 'model not pulled: absent-model:1b' });
  });

  describe('a trading cycle through the real workflows', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startTestStack();
      // The stack points OLLAMA_HOST at its fake server: the activities read it per question, so point it back.
      process.env.OLLAMA_HOST = ollama.url;
      await stack.startWorkers();
    }, 120_000);
    afterAll(async () => {
      await stack?.teardown();
      process.env.OLLAMA_HOST = ollama.url;
    });

    it('records verdicts of the real model (fallback=false) and `tradectl trace` shows each model\'s vote', async () => {
      const config = replayConfig({ symbols: ['ETH/USDT'], llm: policy({ fallback: 'approve', timeoutMs: 90_000 }) });
      await startPortfolio(stack.env.client, config);
      const verdictRow = await waitFor('a recorded verdict of the real model', async () => {
        const cycles = await recentCycles(config.portfolioId, 20);
        if (cycles.length === 0) return undefined;
        return (await openDatabase().llmVerdict.findFirst({
          where: { signal: { cycleId: { in: cycles.map((c) => c.id) } } },
          include: { models: true, signal: true },
        })) ?? undefined;
      }, 150_000, 1_000);
      await portfolioOps.stop(portfolioHandle(stack.env.client, config.portfolioId));

      expect(verdictRow).toMatchObject({ fallback: false, model: EMBEDDED_LLM_MODEL, consensus: 'single model', promptVersion: 'review-v2' });
      expect(verdictRow.prompt).toMatch(/^Trade: (BUY|SELL) ETH\/USDT at /);
      expect(verdictRow.models).toEqual([expect.objectContaining({ model: EMBEDDED_LLM_MODEL, fallback: false, seq: 0 })]);
      const order = (await recentOrders(config.portfolioId, 20)).find((o) => o.cycleId === verdictRow.signal.cycleId);
      if (order && verdictRow.approve) {
        const trace = await waitFor('the trace of the order', async () => ((await traceOrder(order.id))?.verdict ? traceOrder(order.id) : undefined));
        expect(trace!.verdict!.models.map((m) => [m.model, m.fallback])).toEqual([[EMBEDDED_LLM_MODEL, false]]);
      }
    }, 200_000);
  });

  it('falls back as unreachable when Ollama is killed mid-question, and the embedded server starts and stops cleanly', async () => {
    const asking = validateTrades(input(policy({ fallback: 'reject' })));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(-ollama.process.pid!, 'SIGKILL');
    const [verdict] = await asking;

    expect(verdict).toMatchObject({ fallback: true, approve: false, sizeMultiplier: 0 });
    expect(verdict.fallbackReason).toMatch(/^unreachable: /);
    await llmHealth.probeNow(ollama.url);
    expect(llmHealth.snapshot().status).toBe('down');

    // Started again on the same models, it answers; stopped, nothing of it is left listening.
    ollama = await start();
    expect(await ollamaAnswers(url)).toBe(true);
    const pid = ollama.process.pid!;
    await ollama.stop();
    expect(await ollamaAnswers(url)).toBe(false);
    // The server and the runners it spawned (its process group) are gone once their exit is reaped.
    await waitFor('the process group to be gone', async () => {
      try {
        process.kill(-pid, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 10_000, 100);
  }, 60_000);
});
