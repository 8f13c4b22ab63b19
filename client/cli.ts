/**
 * tradectl: operate portfolios from the shell. Every command maps onto a Temporal operation (see README for
 * the `temporal` CLI equivalents) or a read of the database.
 */
import { msToNumber } from '@temporalio/common/lib/time';
import { Command, InvalidArgumentError, Option } from 'commander';
import { LIVE_OPT_IN_ENV, LIVE_OPT_IN_VALUE } from '../domain/liveOptIn';
import { recentCycles, recentOrders, traceOrder } from '../activities/persistence/queries';
import { closeDatabases } from '../prisma/database';
import { checkConfig, defaultConfig, DEFAULT_ENTRY_ORDERS, TIMEFRAMES, type ConfigPatch, type PortfolioConfig } from '../domain/config';
import { portfolioWorkflowId } from '../workflows/queues';
import { parseStrategyConfig, strategySelection, warmupCandles } from '../domain/strategies';
import { registerBacktestCommands } from './backtestCommands';
import { readConfigFile } from './configFile';
import { failureMessage } from './failureMessage';
import { portfolioConfigFrom } from '../domain/configInput';
import { registerCheckExchange } from './checkExchange';
import { registerModelCommands } from './modelCommands';
import { exitWhenFlushed } from './exitWhenFlushed';
// bin/tradectl.js exits through it too, from the bundle.
export { exitWhenFlushed };
import { checkMarketSource, checkMarketSpec } from './marketCheck';
import { registerStatsCommand } from './statsCommand';
import { chooseMarket } from './marketChoice';
import { formatCycles, formatOrders, formatRisk, formatStatus, formatTrace } from './format';
import { connectClient, portfolioHandle, portfolioOps, startPortfolio } from './tradingClient';
import { checkEnvironment } from '../domain/environment';

function duration(value: string): number {
  try {
    const ms = /^\d+$/.test(value) ? Number(value) : msToNumber(value as Parameters<typeof msToNumber>[0]);
    if (!Number.isFinite(ms) || ms <= 0) throw new Error();
    return ms;
  } catch {
    throw new InvalidArgumentError(`'${value}' is not a duration (try 30s, 5m, 1h or milliseconds)`);
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`'${value}' is not a positive whole number`);
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`'${value}' is not a positive number`);
  return n;
}

function symbolList(value: string): string[] {
  return value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
}

/** A key of a setting: a plain name (never __proto__, constructor or prototype, which would reach Object's prototype). */
const SETTING_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `key=value` pairs into a setConfig patch: dotted keys reach nested sections, values are JSON or strings. */
export function parseAssignments(pairs: string[]): ConfigPatch {
  const patch: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`'${pair}' is not key=value (e.g. risk.maxAssetWeight=0.1)`);
    const keys = pair.slice(0, eq).split('.');
    const bad = keys.find((k) => FORBIDDEN_KEYS.has(k) || !SETTING_KEY.test(k));
    if (bad !== undefined) throw new Error(`'${pair.slice(0, eq)}': '${bad}' is not a setting name (letters, digits and _, e.g. risk.maxAssetWeight)`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* plain strings such as a model name stay strings */
    }
    let target = patch;
    for (const k of keys.slice(0, -1)) {
      const next = Object.hasOwn(target, k) ? target[k] : (target[k] = {});
      if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new Error(`'${pair.slice(0, eq)}': ${k} is set to a value, not a section, by an earlier assignment`);
      target = next as Record<string, unknown>;
    }
    target[keys[keys.length - 1]] = value;
  }
  return patch as ConfigPatch;
}

const portfolioOption = () => new Option('-p, --portfolio <id>', 'portfolio id').default('default');

const printedByCommander = new WeakSet<Command>();

export function buildCli(out: (line: string) => void = console.log, err: (line: string) => void = console.error): Command {
  const program = new Command('tradectl')
    .description('Operate Temporal-orchestrated trading portfolios')
    .showHelpAfterError()
    .exitOverride()
    // Marks what commander printed itself, so main() prints the rest: an InvalidArgumentError thrown by an action is
    // a commander error too, but nobody has shown it yet.
    .configureOutput({ outputError: (text, write) => { printedByCommander.add(program); write(text); } });

  program
    .command('start')
    .description('start a portfolio, attach to it if it runs, or resume it from its last state if it was stopped')
    .addOption(portfolioOption())
    .option('-s, --symbols <list>', 'comma-separated symbols, e.g. BTC/USDT,ETH/USDT', symbolList)
    .option('-i, --interval <duration>', 'time between cycles, e.g. 1m', duration)
    .option('-m, --market <source>', 'live:<exchange>, replay:<dir> or sim[:<seed>]')
    .option('-t, --timeframe <tf>', 'candle timeframe, e.g. 1h')
    .option('--cash <amount>', 'starting cash for a new portfolio', positiveNumber)
    .option('--cooldown <duration>', 'no new buy on a symbol for this long after a trade (risk.cooldowns.buyMs)', duration)
    .option('--strategies <list>', 'trade with the strategy engine, e.g. dcaGrid,swing,channel (equal allocations); default: the model signals')
    .option('--entry <type>', 'entry orders: market (default) or limit (resting 10 bps under the price for up to 15 minutes)')
    .option('--stops <kind>', 'protective stops: emulated (default) or native (stop orders resting on the exchange)')
    .option('--live', `trade REAL MONEY (also needs ${LIVE_OPT_IN_ENV}=${LIVE_OPT_IN_VALUE})`)
    .option('--config <file>', 'the portfolio configuration, JSON or YAML, the file `tradectl backtest --config` reads; the options above override it')
    .action(async (opts, command: Command) => {
      if (opts.live && process.env[LIVE_OPT_IN_ENV] !== LIVE_OPT_IN_VALUE) {
        throw new Error(`--live needs ${LIVE_OPT_IN_ENV}=${LIVE_OPT_IN_VALUE} in the environment: live mode trades real money`);
      }
      // A configuration file gives the base (its portfolio id unless --portfolio names one); the flags override it.
      const explicitId = command.getOptionValueSource('portfolio') !== 'default';
      const file = opts.config ? readConfigFile(opts.config) : undefined;
      if (file?.mode === 'live' && !opts.live) throw new Error(`--config ${opts.config} says mode: live; live trading also needs --live (and ${LIVE_OPT_IN_ENV})`);
      const base = file
        ? portfolioConfigFrom(file, { mode: opts.live ? 'live' : 'paper', ...(explicitId && { portfolioId: opts.portfolio }) }, `--config ${opts.config}`)
        : defaultConfig({ mode: opts.live ? 'live' : 'paper', portfolioId: opts.portfolio });
      const candidate: PortfolioConfig = {
        ...base,
        ...(opts.symbols && { symbols: opts.symbols }),
        ...(opts.interval && { intervalMs: opts.interval }),
        ...(opts.market && { market: opts.market }),
        ...(opts.timeframe && { timeframe: opts.timeframe }),
        ...(opts.cash && { initialCash: opts.cash }),
      };
      if (opts.cooldown !== undefined) candidate.risk = { ...candidate.risk, cooldowns: { ...candidate.risk.cooldowns, buyMs: opts.cooldown } };
      if (opts.strategies) {
        candidate.strategies = parseStrategyConfig(strategySelection(String(opts.strategies).split(',').map((x) => x.trim())));
        // As many candles per cycle as the strategies read (the regime detector and breaker at 5m: 2,328), when known.
        const timeframe = String(candidate.timeframe);
        if ((TIMEFRAMES as readonly string[]).includes(timeframe)) candidate.candleLimit = Math.max(candidate.candleLimit, warmupCandles(candidate.strategies, timeframe));
      }
      if (opts.entry || opts.stops) {
        candidate.orders = { ...DEFAULT_ENTRY_ORDERS, ...(opts.entry && { type: opts.entry }), ...(opts.stops && { stops: opts.stops }) } as PortfolioConfig['orders'];
      }
      const checked = checkConfig(candidate);
      if (!checked.ok) throw new Error(`invalid configuration: ${checked.reason}`);
      await checkMarketSpec(checked.config.market, checked.config.symbols, checked.config.timeframe);
      if (opts.live) {
        err('*'.repeat(78));
        err(`** LIVE MODE: portfolio '${checked.config.portfolioId}' will place REAL orders on ${checked.config.market} with REAL money.`);
        err('** Keys are read by the execution worker from its environment; nothing secret goes through Temporal.');
        err('*'.repeat(78));
      }
      const client = await connectClient();
      const outcome = await startPortfolio(client, checked.config, (config) => chooseMarket(config, err));
      if (outcome.kind !== 'started') err(`portfolio exists: kept its configuration; change it with \`tradectl set\``);
      out(`${outcome.kind}: ${outcome.workflowId} (${outcome.config.mode}, ${outcome.config.market}, ${outcome.config.symbols.join(' ')})`);
    });

  for (const name of ['pause', 'resume', 'stop'] as const) {
    program
      .command(name)
      .description(`${name} the portfolio (a workflow signal)`)
      .addOption(portfolioOption())
      .option('-r, --reason <text>', 'why, shown in status')
      .action(async (opts) => {
        const handle = portfolioHandle(await connectClient(), opts.portfolio);
        if (name === 'resume') await portfolioOps.resume(handle);
        else await portfolioOps[name](handle, opts.reason);
        out(`${name} sent to ${portfolioWorkflowId(opts.portfolio)}`);
      });
  }

  /** A command that answers with a workflow query: printed for a person, or as JSON. */
  const queryCommand = <T>(name: string, description: string, query: (handle: ReturnType<typeof portfolioHandle>) => Promise<T>, format: (answer: T) => string) =>
    program
      .command(name)
      .description(description)
      .addOption(portfolioOption())
      .option('--json', 'print JSON')
      .action(async (opts) => {
        const answer = await query(portfolioHandle(await connectClient(), opts.portfolio));
        out(opts.json ? JSON.stringify(answer, null, 2) : format(answer));
      });
  queryCommand('status', 'mode, state, cash, positions, cooldowns and the last cycle (a workflow query)', portfolioOps.status, formatStatus);
  queryCommand('risk', 'limits and their usage, risk score, VaR, halts and why (a workflow query)', portfolioOps.risk, formatRisk);

  program
    .command('set-risk')
    .description('change risk limits through the validated setRiskLimits update, e.g. set-risk maxDrawdown=0.1 cooldowns.buyMs=3600000')
    .addOption(portfolioOption())
    .argument('<assignments...>', 'key=value pairs of risk limits')
    .action(async (assignments: string[], opts) => {
      const limits = await portfolioOps.setRiskLimits(portfolioHandle(await connectClient(), opts.portfolio), parseAssignments(assignments) as never);
      out(JSON.stringify(limits, null, 2));
    });

  program
    .command('liquidate')
    .description('cancel all open orders and sell every position, then hold the portfolio halted until `resume` (idempotent; the same as emergency-stop)')
    .addOption(portfolioOption())
    .option('-r, --reason <text>', 'why, kept with the halt', 'liquidation requested by operator')
    .option('--confirm', 'required: this sells everything')
    .action(async (opts) => {
      if (!opts.confirm) throw new Error('liquidate sells every position: add --confirm');
      await portfolioOps.emergencyStop(portfolioHandle(await connectClient(), opts.portfolio), opts.reason);
      out(`liquidation requested for ${portfolioWorkflowId(opts.portfolio)}: watch \`tradectl orders\` and \`tradectl risk\``);
    });

  program
    .command('emergency-stop')
    .description('halt the portfolio and sell every position; only `resume` ends the halt (idempotent)')
    .addOption(portfolioOption())
    .option('-r, --reason <text>', 'why, kept with the halt')
    .option('--confirm', 'required: this sells everything')
    .action(async (opts) => {
      if (!opts.confirm) throw new Error('emergency-stop sells every position: add --confirm');
      await portfolioOps.emergencyStop(portfolioHandle(await connectClient(), opts.portfolio), opts.reason);
      out(`emergency stop sent to ${portfolioWorkflowId(opts.portfolio)}: watch \`tradectl risk\` and \`tradectl orders\``);
    });

  program
    .command('set')
    .description('change configuration through the validated setConfig update, e.g. set risk.maxAssetWeight=0.1 intervalMs=30000')
    .addOption(portfolioOption())
    .argument('<assignments...>', 'key=value pairs')
    .action(async (assignments: string[], opts) => {
      const patch = parseAssignments(assignments);
      if (patch.market !== undefined) await checkMarketSource(String(patch.market));
      const handle = portfolioHandle(await connectClient(), opts.portfolio);
      if (patch.market !== undefined) {
        // The workflow's validator checks the form; whether the data exists is checked here, where files can be read.
        const current = (await portfolioOps.status(handle)).config;
        await checkMarketSpec(String(patch.market), patch.symbols ?? current.symbols, patch.timeframe ?? current.timeframe);
      }
      const config = await portfolioOps.setConfig(handle, patch);
      out(JSON.stringify(config, null, 2));
    });

  const readCommand = (name: string, description: string, run: (portfolioId: string, limit: number, json: boolean) => Promise<string>) =>
    program
      .command(name)
      .description(description)
      .addOption(portfolioOption())
      .option('-n, --limit <n>', 'how many rows', positiveInt, 10)
      .option('--json', 'print JSON')
      .action(async (opts) => out(await run(opts.portfolio, opts.limit, Boolean(opts.json))));

  readCommand('cycles', 'recent cycles from the database', async (id, limit, json) => {
    const rows = await recentCycles(id, limit);
    return json ? JSON.stringify(rows, null, 2) : formatCycles(rows);
  });
  readCommand('orders', 'recent orders and their fills from the database', async (id, limit, json) => {
    const rows = await recentOrders(id, limit);
    return json ? JSON.stringify(rows, null, 2) : formatOrders(rows);
  });

  program
    .command('trace')
    .description('explain an order: its fills, the risk decision, the LLM verdict, the signal and the cycle')
    .argument('<clientOrderId>')
    .option('--json', 'print JSON')
    .action(async (id: string, opts) => {
      const trace = await traceOrder(id);
      if (!trace) throw new Error(`no order with client order id '${id}'`);
      out(opts.json ? JSON.stringify(trace, null, 2) : formatTrace(trace));
    });

  // ---- exchange execution (issue 6): dry exchange check ----
  registerCheckExchange(program, out);
  // ---- end exchange execution ----

  // ---- backtester (issue 4): `backtest` and `backtest-search`, in process, no server needed ----
  registerBacktestCommands(program, out);
  // ---- end backtester ----

  // ---- cockpit (issue 14): `stats`, the live analytics the dashboard shows ----
  registerStatsCommand(program, out);
  // ---- end cockpit ----

  // ---- signal model (issue 3): `retrain` (schedule or run now) and `models` (registry, live monitoring) ----
  registerModelCommands(program, out);
  // ---- end signal model ----

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    checkEnvironment(process.env, 'cli');
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    const error = e as { code?: string; exitCode?: number; message?: string };
    if (error.code?.startsWith('commander.') && printedByCommander.has(program)) return error.exitCode ?? 2;
    if (error.code?.startsWith('commander.help') || error.code === 'commander.version') return error.exitCode ?? 0;
    console.error(`tradectl: ${failureMessage(e)}`);
    return 1;
  } finally {
    // Only a command that used the database opened it (the fast commands never load it: bin/buildCli.js).
    if (Object.keys(require.cache).some((file) => /[\\/]prisma[\\/]database\.ts$/.test(file))) await closeDatabases();
  }
}

if (require.main === module) {
  void main(process.argv).then(exitWhenFlushed);
}
