/**
 * `tradectl backtest` and `tradectl backtest-search`: run in this process over CSV candles, no Temporal server or
 * database needed.
 */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { loadBacktest, runLoadedBacktest, strategySelection, type BacktestOptions } from '../backtest';
import { parseTime } from '../backtest/data';
import { formatSummary } from '../backtest/report/summary';
import { reportName, writeReports } from '../backtest/report/write';
import { formatSearch, parseSpace, runSearch, type SearchKind } from '../backtest/search';
import type { VerdictPolicy } from '../backtest/effects';
import { enabledStrategies, parseStrategyConfig, type StrategyConfigInput } from '../domain/strategies';
import { readConfigFile } from './configFile';
import { mergeSections } from '../domain/configInput';

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function symbols(value: string): string[] {
  return list(value).map((s) => s.toUpperCase());
}

function number(name: string, check: (n: number) => boolean, expected: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new InvalidArgumentError(`'${value}' is not ${expected} (${name})`);
    return n;
  };
}

function json(name: string) {
  return (value: string): Record<string, unknown> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw new InvalidArgumentError(`${name} is not JSON: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError(`${name} must be a JSON object`);
    return parsed as Record<string, unknown>;
  };
}

function date(label: string, endOfDay: boolean) {
  return (value: string): string => {
    try {
      parseTime(value, label, endOfDay);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    return value;
  };
}

/** The options both commands share. */
function backtestOptions(command: Command): Command {
  return command
    .requiredOption('--data <dir>', 'directory of CSV candles (<exchange>_<BASE>-<QUOTE>_<tf>.csv), e.g. ../shared/data/ohlcv')
    .requiredOption('-s, --symbols <list>', 'comma-separated symbols, e.g. BTC/USDT,ETH/USDT', symbols)
    .requiredOption('--from <date>', 'first day (UTC), YYYY-MM-DD or an ISO date-time', date('from', false))
    .requiredOption('--to <date>', 'last day (UTC, included), YYYY-MM-DD or an ISO date-time', date('to', true))
    .option('--strategy <list>', 'strategies to run, comma-separated, each with an equal share of equity, e.g. momentum,channel (absent: those of --config, else the default portfolio, which trades the model\'s signals as `tradectl start` does)', list)
    .option('--config <file>', 'the portfolio configuration to backtest, JSON or YAML, as `tradectl start --config` reads it (its market becomes the data dir)')
    .option('-t, --timeframe <tf>', 'base candle timeframe', '1h')
    .option('--params <json>', 'strategy parameters merged over the selection (or over --config\'s strategies), e.g. \'{"momentum":{"fast":10},"regime":{"enabled":false}}\'', json('--params'))
    .option('--risk <json>', 'risk limits merged over the configuration\'s, e.g. \'{"kellySizing":false,"minOrderNotional":5}\'', json('--risk'))
    .option('--cash <amount>', 'starting cash', number('--cash', (n) => n > 0, 'a positive number'))
    .option('--fee <rate>', 'fee per fill as a fraction, e.g. 0.001', number('--fee', (n) => n >= 0 && n <= 0.01, 'a fraction between 0 and 0.01'))
    .option('--slippage-bps <bps>', 'half-spread paid by market orders, basis points', number('--slippage-bps', (n) => n >= 0 && n <= 500, 'between 0 and 500'))
    .option('--ml', "use the signal model's signals in the strategies' ML gate (1h features: on a shorter timeframe, those of the last closed hour)")
    .option('--llm <policy>', "the LLM stage: 'fallback' applies the portfolio's fallback policy (paper: approve at half size), 'approve' approves everything at full size, 'ollama' asks the model at OLLAMA_HOST (answers cached by prompt hash, see --llm-cache)", 'fallback')
    .option('--llm-cache <dir>', "--llm ollama: where the model's answers are kept, so a rerun is fast and identical", 'data/llm-cache');
}

const LLM_POLICIES: VerdictPolicy[] = ['fallback', 'approve', 'ollama'];

/** The strategies of the run: --strategy (with --params), else --config's (with --params over them), else none. */
function strategiesOf(opts: Record<string, unknown>, config: Record<string, unknown> | undefined): StrategyConfigInput | undefined {
  const params = (opts.params as Record<string, unknown> | undefined) ?? {};
  if (opts.strategy) return strategySelection(opts.strategy as string[], params);
  const fromFile = config?.strategies as Record<string, unknown> | undefined;
  if (fromFile) return mergeSections(fromFile, params) as StrategyConfigInput;
  if (opts.params) throw new InvalidArgumentError('--params sets strategy parameters: name the strategies with --strategy, or give a --config with a strategies section');
  return undefined;
}

/** The strategies' names for the report's file name; the model for a portfolio without strategies. */
function runName(strategies: StrategyConfigInput | undefined): string[] {
  return strategies ? enabledStrategies(parseStrategyConfig(strategies)) : ['model'];
}

function toOptions(opts: Record<string, unknown>, keepDecisions: boolean): BacktestOptions {
  // A plain Error from an action: commander prints its own errors only for what it parsed itself.
  if (!LLM_POLICIES.includes(opts.llm as VerdictPolicy)) throw new Error(`--llm must be one of ${LLM_POLICIES.join(', ')}, got '${String(opts.llm)}'`);
  const config = opts.config ? readConfigFile(opts.config as string) : undefined;
  const strategies = strategiesOf(opts, config);
  return {
    dataDir: opts.data as string,
    symbols: opts.symbols as string[],
    timeframe: opts.timeframe as string,
    from: opts.from as string,
    to: opts.to as string,
    ...(config && { config }),
    ...(strategies && { strategies }),
    ...(opts.risk !== undefined && { risk: opts.risk as BacktestOptions['risk'] }),
    ...(opts.cash !== undefined && { cash: opts.cash as number }),
    ...(opts.fee !== undefined && { feeRate: opts.fee as number }),
    ...(opts.slippageBps !== undefined && { slippageBps: opts.slippageBps as number }),
    ml: Boolean(opts.ml),
    verdicts: opts.llm as VerdictPolicy,
    llmCacheDir: opts.llmCache as string,
    keepDecisions,
  };
}

export function registerBacktestCommands(program: Command, out: (line: string) => void): void {
  backtestOptions(program.command('backtest'))
    .description('backtest strategies over CSV candles with the trading cycle\'s own code; prints a summary, writes HTML and JSON reports')
    .option('-o, --out <dir>', 'where the reports go', 'data/backtests')
    .action(async (opts) => {
      const loaded = await loadBacktest(toOptions(opts, true));
      const result = await runLoadedBacktest(loaded);
      out(formatSummary(result));
      const name = reportName(runName(loaded.config.strategies), opts.symbols, opts.timeframe, loaded.data.from, loaded.data.to);
      const files = await writeReports(result, opts.out, name);
      out(`\nreports: ${files.html}\n         ${files.json}`);
    });

  backtestOptions(program.command('backtest-search'))
    .description('parameter search (grid or seeded random) with walk-forward: chosen on each training window, scored out of sample; runs on worker threads')
    .option('--search <kind>', 'grid or random', 'grid')
    .requiredOption('--space <json>', 'parameter space: dotted paths to lists of values, e.g. \'{"momentum.fast":[10,20],"momentum.slow":[50,100]}\'', json('--space'))
    .option('--samples <n>', 'random search: parameter sets drawn', number('--samples', (n) => Number.isInteger(n) && n > 0, 'a positive whole number'), 20)
    .option('--seed <n>', 'random search: seed', number('--seed', Number.isInteger, 'a whole number'), 1)
    // Windows of whole days: a sliver of a day means thousands of windows and a search that runs for minutes.
    .option('--train-days <n>', 'walk-forward training window, whole days', number('--train-days', (n) => Number.isInteger(n) && n >= 1, 'a whole number of days >= 1'), 90)
    .option('--test-days <n>', 'walk-forward test window, whole days', number('--test-days', (n) => Number.isInteger(n) && n >= 1, 'a whole number of days >= 1'), 30)
    .option('--objective <metric>', 'what the training windows maximise: sharpe, totalReturn, sortino, profitFactor, cagr', 'sharpe')
    .option('--workers <n>', 'worker threads (default: one per core)', number('--workers', (n) => Number.isInteger(n) && n > 0, 'a positive whole number'), availableParallelism())
    .option('--json', 'print the whole result as JSON')
    .action(async (opts) => {
      const kind = opts.search as SearchKind;
      if (kind !== 'grid' && kind !== 'random') throw new Error(`--search must be grid or random, got '${opts.search}'`);
      const result = await runSearch({
        backtest: toOptions(opts, false),
        space: parseSpace(opts.space),
        kind,
        samples: opts.samples,
        seed: opts.seed,
        trainDays: opts.trainDays,
        testDays: opts.testDays,
        objective: opts.objective,
        workers: opts.workers,
      });
      out(opts.json ? JSON.stringify(result, null, 2) : formatSearch(result));
    });
}
