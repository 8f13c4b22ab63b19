/**
 * Issue 11, gaps 4 to 7, through `tradectl backtest` itself: the default portfolio (no --strategy) with the model,
 * the LLM stage as a stated choice (--llm ollama against a loopback Ollama, its verdicts cached by prompt hash),
 * one configuration file for start and backtest, the refusal summary of a run that trades nothing, and an honest
 * header.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCli } from '../../../client/cli';
import { readConfigFile } from '../../../client/configFile';
import { backtestConfig, parseStrategies } from '../../../backtest';
import { portfolioConfigFrom } from '../../../domain/configInput';
import { EMBEDDED_LLM_MODEL } from '../../../domain/config';
import { startFakeOllama, type FakeOllama } from '../../helpers/fakeOllama';

const DATA = path.join(__dirname, '../../../../shared/data/ohlcv');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'backtest-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a tradectl command; returns what it printed and the JSON report it wrote (backtest). */
async function tradectl(...args: string[]): Promise<{ printed: string; report?: Record<string, any> }> {
  const lines: string[] = [];
  const out = path.join(tmp, `run-${Math.random().toString(36).slice(2)}`);
  await buildCli((l) => lines.push(l)).parseAsync(['node', 'tradectl', ...args, ...(args[0] === 'backtest' ? ['--out', out] : [])]);
  const json = fs.existsSync(out) ? fs.readdirSync(out).find((f) => f.endsWith('.json')) : undefined;
  return { printed: lines.join('\n'), ...(json && { report: JSON.parse(fs.readFileSync(path.join(out, json), 'utf8')) }) };
}

const OUT_OF_SAMPLE = ['--data', DATA, '--symbols', 'BTC/USDT,ETH/USDT,SOL/USDT', '--from', '2023-07-01', '--to', '2023-08-31'];

describe('the default portfolio', () => {
  it('backtests without --strategy: the model drives it, and the report says so', async () => {
    const { printed, report } = await tradectl('backtest', ...OUT_OF_SAMPLE);
    expect(printed).toMatch(/^strategies: none: the model's signals drive entries and exits \(the default portfolio\); model signals: on$/m);
    expect(printed).toMatch(/^LLM stage: fallback \(the portfolio's llm.fallback 'approve-reduced' on every trade, no LLM\)$/m);
    expect(printed).not.toMatch(/IN SAMPLE/);
    expect(report!.trades.length).toBeGreaterThan(5);
    expect(report!.settings.config.strategies).toBeUndefined();
    expect(report!.settings.verdicts).toBe('fallback');
  });

  it('says when the model signals it trades on are in sample', async () => {
    const { printed } = await tradectl('backtest', '--data', DATA, '--symbols', 'BTC/USDT', '--from', '2023-06-01', '--to', '2023-06-10');
    expect(printed).toMatch(/^warning: the model \S+ was fitted and chosen on data up to .*IN SAMPLE/m);
  });
});

describe('--llm ollama', () => {
  let ollama: FakeOllama;
  beforeAll(async () => {
    ollama = await startFakeOllama();
    process.env.OLLAMA_HOST = ollama.url;
    // The compiled engine is loaded outside jest's module registry and would read the real process.env, not the
    // test's: the source engine reads this OLLAMA_HOST (a tradectl process has one environment).
    process.env.BACKTEST_ENGINE = 'source';
  });
  afterAll(async () => {
    delete process.env.BACKTEST_ENGINE;
    await ollama.close();
  });

  it("asks the model once per question: a rerun reads every verdict from the cache and decides identically", async () => {
    const cache = path.join(tmp, 'llm-cache');
    const args = ['backtest', '--data', DATA, '--symbols', 'ETH/USDT,SOL/USDT', '--from', '2023-07-01', '--to', '2023-07-08', '--llm', 'ollama', '--llm-cache', cache];
    const first = await tradectl(...args);
    const asked = ollama.chatRequests().length;
    expect(asked).toBeGreaterThan(3);
    expect(first.report!.llm).toMatchObject({ policy: 'ollama', verdicts: asked, cacheHits: 0, cacheStored: asked });
    expect(first.printed).toMatch(new RegExp(`^LLM stage: ollama ${EMBEDDED_LLM_MODEL}: ${asked} verdicts, 0 from the cache`, 'm'));

    const second = await tradectl(...args);
    expect(ollama.chatRequests().length).toBe(asked);
    expect(second.report!.llm).toMatchObject({ verdicts: asked, cacheHits: asked, cacheStored: 0 });
    expect(second.report!.fills).toEqual(first.report!.fills);
  });

  it('reaches an OLLAMA_HOST with user:pass and reports the host without them', async () => {
    process.env.OLLAMA_HOST = ollama.url.replace('http://', 'http://reviewer:s3cret-token@');
    try {
      const { report, printed } = await tradectl('backtest', '--data', DATA, '--symbols', 'SOL/USDT', '--from', '2023-07-01', '--to', '2023-07-03', '--llm', 'ollama', '--llm-cache', path.join(tmp, 'proxied'));
      expect(report!.settings.llm.host).toBe(ollama.url);
      expect(JSON.stringify(report) + printed).not.toMatch(/s3cret|reviewer/);
    } finally {
      process.env.OLLAMA_HOST = ollama.url;
    }
  });

  it('an LLM that rejects everything keeps the portfolio out of the market', async () => {
    ollama.behaviour.respond = () => JSON.stringify({ approve: false, confidence: 0.9, reason: 'no' });
    try {
      const { report } = await tradectl('backtest', '--data', DATA, '--symbols', 'SOL/USDT', '--from', '2023-07-01', '--to', '2023-07-08', '--llm', 'ollama', '--llm-cache', path.join(tmp, 'rejecting'));
      expect(report!.fills.filter((f: { side: string }) => f.side === 'buy')).toEqual([]);
      expect(report!.refusals.top[0]).toMatchObject({ rule: expect.stringMatching(/llm-verdict|no-entry-signal|confidence-threshold/) });
    } finally {
      ollama.behaviour.respond = () => JSON.stringify({ approve: true, confidence: 0.8, reason: 'ok' });
    }
  });
});

describe('one configuration for start and backtest', () => {
  const file = path.join(tmp, 'portfolio.yaml');
  fs.writeFileSync(file, [
    'symbols: [BTC/USDT, ETH/USDT]',
    'initialCash: 5000',
    'risk:',
    '  maxAssetWeight: 0.15',
    '  cooldowns: { buyMs: 3600000 }',
    'strategies:',
    '  dcaGrid: { enabled: false }',
    '  swing: { stopLoss: 0.04 }',
    '  allocations: { dcaGrid: 0, swing: 0.5, channel: 0.5 }',
    '',
  ].join('\n'));

  it('reads the same validated configuration in both: only the market, the id and the mode differ', () => {
    const started = portfolioConfigFrom(readConfigFile(file), { mode: 'paper' }, `--config ${file}`);
    const backtested = backtestConfig({ dataDir: DATA, symbols: ['BTC/USDT', 'ETH/USDT'], timeframe: '1h', from: '2023-01-01', to: '2023-02-01', config: readConfigFile(file) }, parseStrategies(readConfigFile(file).strategies as never));
    expect({ ...backtested, market: started.market, portfolioId: started.portfolioId }).toEqual(started);
    expect(started).toMatchObject({ initialCash: 5000, risk: { maxAssetWeight: 0.15, cooldowns: { buyMs: 3_600_000, sellMs: 7_200_000 } } });
    expect(started.strategies).toMatchObject({ swing: { stopLoss: 0.04 }, allocations: { swing: 0.5, channel: 0.5 } });
  });

  it('backtests it with --risk and --params over it', async () => {
    const { printed, report } = await tradectl('backtest', '--config', file, '--data', DATA, '--symbols', 'BTC/USDT,ETH/USDT', '--from', '2023-01-01', '--to', '2023-01-20',
      '--risk', '{"maxAssetWeight":0.1}', '--params', '{"swing":{"takeProfit":0.2}}');
    expect(printed).toMatch(/^strategies: swing 50%, channel 50%; model signals: off$/m);
    expect(report!.settings.config).toMatchObject({ initialCash: 5000, risk: { maxAssetWeight: 0.1 }, strategies: { swing: { stopLoss: 0.04, takeProfit: 0.2 } } });
  });

  it('refuses a bad file naming the file and the field, before anything runs', async () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ risk: { maxAssetWeight: 3 } }));
    await expect(tradectl('start', '--config', bad)).rejects.toThrow(`--config ${bad}: risk.maxAssetWeight: Number must be less than or equal to 1`);
    await expect(tradectl('backtest', '--config', bad, '--data', DATA, '--symbols', 'BTC/USDT', '--from', '2023-01-01', '--to', '2023-01-02'))
      .rejects.toThrow('configuration: risk.maxAssetWeight: Number must be less than or equal to 1');
  });
});

describe('a silent run says why, and the header says what it covered', () => {
  it('--strategy smaCross with defaults: no trades, and the expected-value floor is named with the setting', async () => {
    const { printed } = await tradectl('backtest', '--data', DATA, '--symbols', 'BTC/USDT', '--from', '2023-01-01', '--to', '2023-03-31', '--strategy', 'smaCross');
    expect(printed).toMatch(/^no trades: 0 approved, 0 refused by the risk rules, \d+ dropped by the strategy manager\. Top reasons:$/m);
    expect(printed).toMatch(/smaCross: expected value -?\d+\.\d+% below the floor 0\.0+%\n\s+→ strategies\.manager\.minExpectedValue/);
  });

  it('without the floor, Kelly gives a 0.5-confidence setup no size, and the summary names kellySizing', async () => {
    const { printed } = await tradectl('backtest', '--data', DATA, '--symbols', 'BTC/USDT', '--from', '2023-01-01', '--to', '2023-03-31', '--strategy', 'smaCross',
      '--params', '{"manager":{"minExpectedValue":null}}');
    expect(printed).toMatch(/min-order-size\n\s+→ .*kellySizing/);
  });

  it('prints the data covered, warns when the range reaches beyond it, and says what exposure measures', async () => {
    const { printed } = await tradectl('backtest', '--data', DATA, '--symbols', 'BTC/USDT', '--from', '2023-12-25', '--to', '2024-01-31', '--strategy', 'swing');
    expect(printed).toMatch(/^ {2}BTC\/USDT {3}2023-12-25 00:00 → 2023-12-30 18:00 \(\d+ candles\)$/m);
    expect(printed).toMatch(/^warning: BTC\/USDT: the data ends at 2023-12-30 19:00, before --to 2024-02-01 00:00$/m);
    expect(printed).toMatch(/^ {2}time in market {11}\d/m);
    expect(printed).toMatch(/^ {2}capital in positions {5}\d+\.\d% \(average share of equity/m);
  });
});
