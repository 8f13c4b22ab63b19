/**
 * Several models on one proposal: the consensus rules, each model's vote kept, models asked at once within the
 * budget (a slow one votes as its fallback), one question per model and prompt, and the fake server's hostile
 * answers (huge, slow) in a panel. The single-model behaviour is tests/unit/llm.test.ts.
 */
import { installedModels, validateTrades, type ValidateTradesInput } from '../../activities/llm';
import { combineVotes } from '../../domain/llmConsensus';
import { checkConfig, defaultConfig, type LlmPolicy } from '../../domain/config';
import type { ModelVerdict, TradeProposal } from '../../domain/types';
import { startFakeOllama, type FakeOllama } from '../helpers/fakeOllama';

const A = 'alpha:1b';
const B = 'beta:1b';
const C = 'gamma:1b';

function vote(model: string, approve: boolean, confidence = 0.8, extra: Partial<ModelVerdict> = {}): ModelVerdict {
  return { model, weight: 1, approve, confidence, reason: `${model} says ${approve ? 'yes' : 'no'}`, fallback: false, sizeMultiplier: 1, latencyMs: 10, ...extra };
}
const fallback = (model: string, approve: boolean, sizeMultiplier: number): ModelVerdict =>
  vote(model, approve, 0, { fallback: true, fallbackReason: 'timeout after 100ms', reason: 'fallback', sizeMultiplier, latencyMs: 100 });

describe('combineVotes', () => {
  const split = [vote(A, true, 0.9), vote(B, false, 0.6), vote(C, false, 0.55)];

  it.each([
    ['any', split, true],
    ['majority', split, false],
    ['unanimous', split, false],
    ['weighted', split, false],
    ['majority', [vote(A, true), vote(B, true), vote(C, false)], true],
    ['unanimous', [vote(A, true), vote(B, true)], true],
    ['majority', [vote(A, true), vote(B, false)], false],
  ] as const)('%s over %j', (rule, votes, approve) => {
    const verdict = combineVotes('BTC/USDT', [...votes], rule);
    expect(verdict.approve).toBe(approve);
    expect(verdict.fallback).toBe(false);
    expect(verdict.models).toHaveLength(votes.length);
    expect(verdict.consensus).toMatch(new RegExp(`^${rule}: `));
    expect(verdict.model).toBe(votes.map((v) => v.model).join('+'));
  });

  it('weighs weight x confidence under weighted', () => {
    const heavy = combineVotes('BTC/USDT', [{ ...vote(A, true, 0.6), weight: 3 }, vote(B, false, 0.9), vote(C, false, 0.8)], 'weighted');
    expect(heavy.approve).toBe(true);
    expect(heavy.consensus).toBe('weighted: weight x confidence 1.80 for, 1.70 against');
    expect(heavy.reason).toMatch(/alpha:1b says yes$/);
  });

  it('counts a failed model as its fallback: a reject fallback blocks unanimity, an approve-reduced one halves the size', () => {
    expect(combineVotes('BTC/USDT', [vote(A, true), fallback(B, false, 0)], 'unanimous')).toMatchObject({ approve: false, consensus: 'unanimous: 1 of 2 approve (1 fallback)' });
    const reduced = combineVotes('BTC/USDT', [vote(A, true, 0.8), fallback(B, true, 0.5)], 'unanimous');
    expect(reduced).toMatchObject({ approve: true, sizeMultiplier: 0.5, fallback: false, confidence: 0.4 });
    // Under `weighted` a fallback has no confidence: it abstains, and the answering model decides.
    expect(combineVotes('BTC/USDT', [vote(A, true, 0.7), fallback(B, true, 0.5)], 'weighted')).toMatchObject({ approve: true, sizeMultiplier: 1 });
  });

  it('gives the plain fallback verdict when every model fell back', () => {
    const verdict = combineVotes('BTC/USDT', [fallback(A, true, 0.5), fallback(B, true, 0.5)], 'majority');
    expect(verdict).toMatchObject({ approve: true, fallback: true, sizeMultiplier: 0.5, confidence: 0, fallbackReason: 'timeout after 100ms' });
    expect(verdict.consensus).toBe('majority: every model fell back');
  });

  it('passes a single model through as it answered', () => {
    expect(combineVotes('BTC/USDT', [vote(A, false, 0.3)], 'unanimous')).toMatchObject({ approve: false, confidence: 0.3, reason: 'alpha:1b says no', model: A, consensus: 'single model' });
  });
});

describe('llm.models and llm.consensus in the configuration', () => {
  const llm = (patch: Partial<LlmPolicy>) => checkConfig(defaultConfig({ llm: { ...defaultConfig().llm, ...patch } }));

  it('accepts a weighted panel and keeps llm.model alone working', () => {
    expect(llm({ models: [{ model: A, weight: 2 }, { model: B }], consensus: 'weighted', sampling: { seed: 7 } }).ok).toBe(true);
    expect(llm({ model: 'llama3.1:8b' }).ok).toBe(true);
  });

  it.each([
    [{ models: [] }, /llm\.models: .*at least 1/i],
    [{ models: [{ model: A }, { model: A }] }, /llm\.models: a model must not repeat/],
    [{ models: Array.from({ length: 9 }, (_, i) => ({ model: `m${i}` })) }, /llm\.models: at most 8 models/],
    [{ models: [{ model: A, weight: 0 }] }, /llm\.models\.0\.weight/],
    [{ consensus: 'plurality' as never }, /llm\.consensus/],
    [{ sampling: { temperature: 5 } }, /llm\.sampling\.temperature/],
  ])('refuses %j naming the field', (patch, reason) => {
    const checked = llm(patch as Partial<LlmPolicy>);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.reason).toMatch(reason);
  });
});

describe('validateTrades with a panel (fake Ollama)', () => {
  const originalHost = process.env.OLLAMA_HOST;
  let fake: FakeOllama;

  beforeEach(async () => {
    installedModels.clear();
    fake = await startFakeOllama({ models: [A, B, C] });
    process.env.OLLAMA_HOST = fake.url;
  });
  afterEach(async () => {
    await fake.close();
    if (originalHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = originalHost;
  });

  const proposal = (symbol = 'BTC/USDT'): TradeProposal => ({
    symbol, side: 'buy', price: 65_000, intent: 'entry',
    signal: { symbol, asOf: Date.UTC(2025, 0, 1), direction: 'up', confidence: 0.6, probabilities: { up: 0.6, down: 0.1, flat: 0.3 }, modelVersion: 'm1' },
  });
  const input = (proposals: TradeProposal[], policy: Partial<LlmPolicy>): ValidateTradesInput => ({
    proposals,
    policy: { model: A, timeoutMs: 2_000, fallback: 'reject', models: [{ model: A }, { model: B }, { model: C }], consensus: 'majority', ...policy },
    context: { portfolioId: 'p', cash: 10_000, equity: 10_000, positions: {} },
  });
  const answer = (approve: boolean, reason: string) => JSON.stringify({ approve, confidence: 0.7, reason });

  it('asks every model at once, records each vote and names how the verdict was reached', async () => {
    fake.behaviour.delayMs = 300;
    fake.behaviour.respond = (req) => (req.model === C ? answer(false, 'RSI overbought') : answer(true, 'trend is up'));

    const startedAt = Date.now();
    const [verdict] = await validateTrades(input([proposal()], {}));
    const elapsed = Date.now() - startedAt;

    // Three 300 ms answers in well under 900 ms: asked concurrently.
    expect(elapsed).toBeLessThan(800);
    expect(verdict).toMatchObject({ approve: true, fallback: false, model: `${A}+${B}+${C}`, consensus: 'majority: 2 of 3 approve' });
    expect(verdict.models!.map((m) => [m.model, m.approve, m.fallback, m.reason])).toEqual([
      [A, true, false, 'trend is up'], [B, true, false, 'trend is up'], [C, false, false, 'RSI overbought'],
    ]);
    expect(verdict.models!.every((m) => m.latencyMs >= 250)).toBe(true);
    const sent = fake.chatRequests();
    expect(sent.map((r) => r.model).sort()).toEqual([A, B, C]);
    // The same question to each: one prompt, one hash.
    expect(new Set(sent.map((r) => JSON.stringify(r.messages))).size).toBe(1);
    expect(verdict.prompt).toMatchObject({ version: 'review-v2', temperature: 0, seed: 42, numPredict: 96 });
    expect(verdict.prompt!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lets a slow model vote as its fallback within the budget instead of stalling the cycle', async () => {
    fake.behaviour.respond = (req) => answer(true, `${req.model} approves`);
    fake.behaviour.delayByModel = { [B]: 5_000 };

    const startedAt = Date.now();
    const [first, second] = await validateTrades(input([proposal('BTC/USDT'), proposal('ETH/USDT')], { timeoutMs: 1_000, fallback: 'approve-reduced' }));
    const elapsed = Date.now() - startedAt;

    // One budget for the first proposal (B times out while A and C answer), none wasted on B for the second.
    expect(elapsed).toBeLessThan(1_800);
    expect(first.models!.find((m) => m.model === B)).toMatchObject({ fallback: true, fallbackReason: 'timeout after 1000ms', approve: true, sizeMultiplier: 0.5 });
    expect(first).toMatchObject({ approve: true, fallback: false, sizeMultiplier: 0.5, consensus: 'majority: 3 of 3 approve (1 fallback)' });
    expect(second.models!.find((m) => m.model === B)!.reason).toMatch(/not asked/);
    expect(second.models!.filter((m) => !m.fallback)).toHaveLength(2);
    expect(fake.chatRequests().filter((r) => r.model === B)).toHaveLength(1);
  });

  it('asks an identical question once per model', async () => {
    const verdicts = await validateTrades(input([proposal(), proposal()], { models: [{ model: A }] }));

    expect(fake.chatRequests()).toHaveLength(1);
    expect(verdicts[1].models![0]).toMatchObject({ reused: true, fallback: false, latencyMs: 0 });
    expect(verdicts[1].prompt!.hash).toBe(verdicts[0].prompt!.hash);
  });

  it('falls back for the model not pulled and lets the others decide', async () => {
    fake.behaviour.models = [A, B];
    fake.behaviour.respond = () => answer(true, 'fine');

    const [verdict] = await validateTrades(input([proposal()], { consensus: 'unanimous', fallback: 'reject' }));

    expect(verdict.models!.find((m) => m.model === C)).toMatchObject({ fallback: true, fallbackReason: `model not pulled: ${C}` });
    expect(verdict).toMatchObject({ approve: false, fallback: false, consensus: 'unanimous: 2 of 3 approve (1 fallback)' });
  });

  it('keeps a huge answer out of the record: the reason is cut, a huge non-JSON answer becomes an excerpt', async () => {
    fake.behaviour.respond = (req) => (req.model === A ? answer(true, 'long '.repeat(400_000)) : 'x'.repeat(2_000_000));

    const [verdict] = await validateTrades(input([proposal()], { models: [{ model: A }, { model: B }], consensus: 'any' }));

    expect(verdict.models![0].reason.length).toBe(500);
    expect(verdict.models![1].fallbackReason).toMatch(/^garbage: not JSON: "x{200}…"$/);
    expect(JSON.stringify(verdict).length).toBeLessThan(3_000);
  });
});
