/**
 * `/health` reports the LLM as ready, degraded (model missing, slow, falling back) or down with the reason, and the
 * fallback rate is a metric: the tracker fed by the activity and its probe of /api/tags, against the fake server.
 */
import { installedModels, validateTrades, type ValidateTradesInput } from '../../activities/llm';
import { llmHealth } from '../../activities/llm/health';
import { metrics, registry } from '../../activities/metrics';
import { startMetricsServer } from '../../workers/metricsServer';
import { HealthMonitor } from '../../workers/health';
import { ollamaProbe } from '../../workers/healthChecks';
import { closedPortUrl, startFakeOllama, type FakeOllama } from '../helpers/fakeOllama';

const MODEL = 'smollm2:135m';
const originalHost = process.env.OLLAMA_HOST;
let fake: FakeOllama | undefined;

const input = (timeoutMs = 2_000): ValidateTradesInput => ({
  proposals: [{
    symbol: 'BTC/USDT', side: 'buy', price: 65_000,
    signal: { symbol: 'BTC/USDT', asOf: 0, direction: 'up', confidence: 0.6, probabilities: { up: 0.6, down: 0.1, flat: 0.3 }, modelVersion: 'm' },
  }],
  policy: { model: MODEL, timeoutMs, fallback: 'reject' },
  context: { portfolioId: 'p', cash: 1_000, equity: 1_000, positions: {} },
});

beforeEach(() => {
  llmHealth.reset();
  installedModels.clear();
});
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  if (originalHost === undefined) delete process.env.OLLAMA_HOST;
  else process.env.OLLAMA_HOST = originalHost;
});

async function use(models: string[], delayMs = 0): Promise<string> {
  fake = await startFakeOllama({ models, delayMs });
  process.env.OLLAMA_HOST = fake.url;
  return fake.url;
}

it('is ready when Ollama answers, the expected model is pulled and answers in time', async () => {
  const url = await use([MODEL]);
  llmHealth.expect([MODEL]);
  await llmHealth.probeNow(url);
  expect(llmHealth.snapshot()).toMatchObject({ status: 'ready', models: { [MODEL]: { pulled: true, fallbackRate: null } } });

  await validateTrades(input());
  expect(llmHealth.snapshot()).toMatchObject({ status: 'ready', fallbackRate: 0, models: { [MODEL]: { pulled: true, fallbackRate: 0 } } });
  expect((await metrics.llmStatus.get()).values[0].value).toBe(2);
});

it('is degraded with the reason when the model is not pulled, and counts the fallback rate', async () => {
  const url = await use(['llama3.1:8b']);
  llmHealth.expect([MODEL]);
  await llmHealth.probeNow(url);
  expect(llmHealth.snapshot()).toMatchObject({ status: 'degraded', reason: `model not pulled: ${MODEL}` });

  await validateTrades(input());
  expect(llmHealth.snapshot().fallbackRate).toBe(1);
  expect(await registry.getSingleMetricAsString('trader_llm_fallback_ratio')).toContain(`trader_llm_fallback_ratio{model="${MODEL}"} 1`);
  expect((await metrics.llmStatus.get()).values[0].value).toBe(1);
});

it('is degraded when the model is slow: timeouts, or a median answer above half the budget', async () => {
  await use([MODEL], 400);
  await validateTrades(input(200));
  expect(llmHealth.snapshot()).toMatchObject({ status: 'degraded', reason: 'slow: 1 of the last 1 questions timed out' });

  llmHealth.reset();
  installedModels.clear();
  await validateTrades(input(700));
  expect(llmHealth.snapshot()).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/^slow: median answer \d+ ms, budget 700 ms$/) });
});

it('is down when Ollama does not answer, and /health/ready says so with the reason', async () => {
  const url = await closedPortUrl();
  await llmHealth.probeNow(url);
  const server = await startMetricsServer(0, new HealthMonitor(['llm'], [ollamaProbe(url, MODEL)]), '127.0.0.1');
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/health/ready`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { reasons: string[] };
    expect(body.reasons).toEqual([expect.stringMatching(/^ollama: unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/)]);
  } finally {
    server.close();
  }
  expect(llmHealth.snapshot()).toMatchObject({ status: 'down', reason: expect.stringMatching(/^Ollama unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/) });
  expect((await metrics.llmStatus.get()).values[0].value).toBe(0);
});

it('probes an OLLAMA_HOST with user:pass as the activity asks it (Basic header), and never shows the credentials', async () => {
  const url = (await use([MODEL])).replace('http://', 'http://reviewer:s3cret-token@');
  llmHealth.expect([MODEL]);
  await llmHealth.probeNow(url);
  const snapshot = llmHealth.snapshot();
  expect(snapshot).toMatchObject({ status: 'ready', models: { [MODEL]: { pulled: true } } });
  expect(JSON.stringify(snapshot)).not.toMatch(/s3cret|reviewer/);
  expect(fake!.requests.map((r) => r.headers.authorization)).toEqual([`Basic ${Buffer.from('reviewer:s3cret-token').toString('base64')}`]);

  await fake!.close();
  fake = undefined;
  await llmHealth.probeNow(url);
  expect(llmHealth.snapshot().status).toBe('down');
  expect(JSON.stringify(llmHealth.snapshot())).not.toMatch(/s3cret|reviewer/);
});

it("/health/ready's ollama probe reaches an OLLAMA_HOST with user:pass and never shows the credentials", async () => {
  const url = (await use([MODEL])).replace('http://', 'http://reviewer:s3cret-token@');
  const probe = ollamaProbe(url, MODEL);
  const ready = await probe.probe();
  expect(ready.ok).toBe(true);
  expect(JSON.stringify(ready)).not.toMatch(/s3cret|reviewer/);

  await fake!.close();
  fake = undefined;
  const down = await probe.probe();
  expect(down).toMatchObject({ ok: false, reason: expect.stringMatching(/^ollama: unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/) });
  expect(JSON.stringify(down)).not.toMatch(/s3cret|reviewer/);
});
