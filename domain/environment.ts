/**
 * Every environment variable the processes read, in one schema: what it means, who reads it, its default and how its
 * value is checked. Each process checks its environment at start (checkEnvironment: workers/worker.ts,
 * workers/start.ts, dashboard/main.ts, client/cli.ts) and refuses with one error naming every bad variable; the
 * readers take their values through envValue, so a value is parsed by the same rule wherever it is read. The
 * README's environment table is checked against this list (tests/unit/environment.test.ts).
 *
 * Nothing here reads process.env: the caller passes the environment (workflow code never sees one).
 */
import { SYMBOL_PATTERN, TIMEFRAMES } from './config';
import { LIVE_OPT_IN_ENV, LIVE_OPT_IN_VALUE } from './liveOptIn';

type Env = Readonly<Record<string, string | undefined>>;

/** The processes that read the environment. */
export type EnvProcess = 'worker' | 'start' | 'dashboard' | 'cli';

const ALL: readonly EnvProcess[] = ['worker', 'start', 'dashboard', 'cli'];
const WORKERS: readonly EnvProcess[] = ['worker', 'start'];
const COCKPIT: readonly EnvProcess[] = ['start', 'dashboard'];
const EXECUTION: readonly EnvProcess[] = ['worker', 'start', 'cli'];

/** A bad value, with the variable named. */
class EnvValueError extends Error {}

type Parse<T> = (raw: string, name: string) => T;

const bad = (message: string): never => {
  throw new EnvValueError(message);
};
const text: Parse<string> = (raw) => raw;
const port: Parse<number> = (raw, name) => {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 && n <= 65_535 ? n : bad(`${name} must be a port number (0-65535), got '${raw}'`);
};
/** true/1/yes or false/0/no, any case; anything else names the variable. Also the NOTIFY_<CHANNEL>_* flags. */
export const flag: Parse<boolean> = (raw, name) => {
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  return bad(`${name} must be true or false, got '${raw}'`);
};
const fractionUpTo = (max: number): Parse<number> => (raw, name) => {
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 && n <= max ? n : bad(`${name} must be a fraction in (0, ${max}], e.g. 0.05 for 5%, got '${raw}'`);
};
const wholeMs = (max: number): Parse<number> => (raw, name) => {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 && n <= max ? n : bad(`${name} must be a whole number of ms in [0, ${max}], got '${raw}'`);
};
const msAtLeast = (min: number): Parse<number> => (raw, name) => {
  const n = Number(raw);
  return Number.isFinite(n) && n >= min ? n : bad(`${name} must be at least ${min} (ms), got '${raw}'`);
};
const oneOf = <T extends string>(values: readonly T[]): Parse<T> => (raw, name) =>
  (values as readonly string[]).includes(raw) ? (raw as T) : bad(`${name} must be one of ${values.join(', ')}, got '${raw}'`);
const httpUrl: Parse<string> = (raw, name) => {
  try {
    if (/^https?:$/.test(new URL(raw).protocol)) return raw;
  } catch {
    /* reported below */
  }
  return bad(`${name} must be an http(s) URL such as http://127.0.0.1:11434, got '${raw}'`);
};
/** Ollama's own forms: http(s)://host:port, host:port, or :port (as the Ollama server reads it). */
const ollamaHost: Parse<string> = (raw, name) => {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return httpUrl(raw, name);
  return /^[^\s/:]*(:\d{1,5})?$/.test(raw) ? raw : bad(`${name} must be http://host:port, host:port or :port, got '${raw}'`);
};
/** scheme://host[:port] only: the exchange's own paths are kept (tests point it at a loopback emulator). */
const origin: Parse<string> = (raw, name) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return bad(`${name} must be a URL such as http://127.0.0.1:8080, got '${raw}'`);
  }
  if (!/^https?:$/.test(url.protocol) || (url.pathname !== '/' && url.pathname !== '') || url.search || url.username || url.password) {
    return bad(`${name} must be only scheme://host[:port] (the exchange's own paths are kept), got '${raw}'`);
  }
  return url.origin;
};
const hostPort: Parse<string> = (raw, name) => (/^[^\s/:]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/.test(raw) ? raw : bad(`${name} must be host:port (e.g. 127.0.0.1:7233), got '${raw}'`));
const databaseUrl: Parse<string> = (raw, name) => (/^(file:|postgres(ql)?:\/\/)/i.test(raw) ? raw : bad(`${name} must be file:<path> (SQLite) or postgresql://... , got '${raw}'`));
const symbols: Parse<string[]> = (raw, name) => {
  const list = raw.split(',').map((s) => s.trim());
  const wrong = list.filter((s) => !SYMBOL_PATTERN.test(s));
  return wrong.length === 0 ? list : bad(`${name} must be symbols BASE/QUOTE separated by commas (e.g. BTC/USDT,ETH/USDT), got '${wrong.join("', '")}'`);
};
const positiveInt: Parse<number> = (raw, name) => {
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : bad(`${name} must be a positive whole number, got '${raw}'`);
};
const liveOptIn: Parse<string> = (raw, name) => (raw === LIVE_OPT_IN_VALUE ? raw : bad(`${name} must be '${LIVE_OPT_IN_VALUE}' to allow live orders, or unset, got '${raw}'`));

interface Variable<T> {
  /** Which processes read it: each checks it at start. */
  readonly processes: readonly EnvProcess[];
  /** The README's "used by" words. */
  readonly usedBy: string;
  readonly parse: Parse<T>;
  /** `<NAME>_FILE` may name a file holding the value instead (a secret); setting both is an error. */
  readonly fromFile?: boolean;
}

const v = <T>(processes: readonly EnvProcess[], usedBy: string, parse: Parse<T>, fromFile?: boolean): Variable<T> => ({ processes, usedBy, parse, ...(fromFile && { fromFile }) });

export const ENVIRONMENT = {
  TEMPORAL_ADDRESS: v(ALL, 'all', hostPort),
  TEMPORAL_NAMESPACE: v(ALL, 'all', text),
  DATABASE_URL: v(ALL, 'execution and persistence workers, CLI, cockpit', databaseUrl),
  OLLAMA_HOST: v(EXECUTION, 'LLM worker, `npm start`, `tradectl backtest --llm ollama`', ollamaHost),
  LLM_MODEL: v(['start'], '`npm start`', text),
  OLLAMA_BIN: v(['start'], '`npm start`', text),
  OLLAMA_KEEP_ALIVE: v(['start'], "`npm start`'s embedded Ollama", text),
  // Read by scripts/install-ollama.sh at `npm ci`, by no process.
  TRADER_SKIP_OLLAMA: v([], '`npm ci`', oneOf(['1', '0'])),
  METRICS_PORT: v(WORKERS, 'workers', port),
  TEMPORAL_METRICS_PORT: v(WORKERS, 'workers', port),
  METRICS_BIND_ADDRESS: v(WORKERS, 'workers', text),
  LOG_LEVEL: v(WORKERS, 'workers', oneOf(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'])),
  TEMPORAL_UI_PORT: v(['start'], '`npm start`', port),
  TEMPORAL_CLI_PATH: v(['start'], '`npm start`', text),
  OLLAMA_MODEL: v(WORKERS, "LLM worker's readiness check", text),
  NOTIFY_SEND_TIMEOUT_MS: v(WORKERS, 'notify worker', positiveInt),
  PORTFOLIO_GAUGES_MS: v(WORKERS, 'notify worker', positiveInt),
  MODEL_DIR: v(EXECUTION, 'inference, training and persistence workers, CLI', text),
  MODEL_RELOAD_CHECK_MS: v(WORKERS, 'inference worker', wholeMs(86_400_000)),
  OHLCV_DIR: v(WORKERS, 'training worker, `npm run features`', text),
  TRAINING_WORK_DIR: v(WORKERS, 'training worker', text),
  PORTFOLIO_ID: v(['start'], '`npm start`', text),
  MARKET: v(['start'], '`npm start`', text),
  SYMBOLS: v(['start'], '`npm start`', symbols),
  TIMEFRAME: v(['start'], '`npm start`', oneOf(TIMEFRAMES)),
  INTERVAL_MS: v(['start'], '`npm start`', positiveInt),
  DASHBOARD: v(['start'], '`npm start`', oneOf(['on', 'off'])),
  DASHBOARD_HOST: v(COCKPIT, 'cockpit', text),
  DASHBOARD_PORT: v(COCKPIT, 'cockpit', port),
  DASHBOARD_TOKEN: v(COCKPIT, 'cockpit', text, true),
  DASHBOARD_USER: v(COCKPIT, 'cockpit', text),
  DASHBOARD_PASSWORD: v(COCKPIT, 'cockpit', text, true),
  DASHBOARD_PUBLIC_READ: v(COCKPIT, 'cockpit', flag),
  DASHBOARD_ALLOWED_HOSTS: v(COCKPIT, 'cockpit', text),
  DASHBOARD_REFRESH_MS: v(COCKPIT, 'cockpit', msAtLeast(250)),
  TEMPORAL_UI_URL: v(COCKPIT, 'cockpit', httpUrl),
  BACKTESTS_DIR: v(COCKPIT, 'cockpit', text),
  NODE_ENV: v(COCKPIT, 'cockpit (templates cached unless `development`)', text),
  [LIVE_OPT_IN_ENV]: v(EXECUTION, 'execution worker, `tradectl start --live`', liveOptIn),
  EXCHANGE_ID: v(EXECUTION, 'execution worker, `tradectl check-exchange`', text),
  EXCHANGE_API_KEY: v(EXECUTION, 'execution worker', text, true),
  EXCHANGE_SECRET: v(EXECUTION, 'execution worker', text, true),
  EXCHANGE_PASSWORD: v(EXECUTION, 'execution worker', text, true),
  EXCHANGE_SANDBOX: v(EXECUTION, 'execution worker', flag),
  EXCHANGE_REST_URL: v(EXECUTION, 'execution and market-data workers', origin),
  EXCHANGE_PRICE_BAND: v(EXECUTION, 'execution worker', fractionUpTo(0.5)),
  EXCHANGE_LOOKUP_WINDOW_MS: v(EXECUTION, 'execution worker', wholeMs(120_000)),
  EXCHANGE_SNAPSHOT_RECHECK_MS: v(EXECUTION, 'execution worker', wholeMs(120_000)),
  BACKTEST_ENGINE: v(['cli'], '`tradectl backtest`', oneOf(['compiled', 'source'])),
  TRADECTL_SOURCE: v(['cli'], '`tradectl` (bin/tradectl.js)', oneOf(['1', '0'])),
} as const satisfies Record<string, Variable<unknown>>;

export type EnvName = keyof typeof ENVIRONMENT;
type ValueOf<N extends EnvName> = (typeof ENVIRONMENT)[N] extends Variable<infer T> ? T : never;

/**
 * Families of variables named by a prefix: their members are checked where they are read, at the start of the
 * process that reads them (the notification channels: activities/notify/registry.ts, at the notify worker's start).
 */
export const ENVIRONMENT_PREFIXES = {
  NOTIFY_: { processes: WORKERS, usedBy: 'notify worker: `NOTIFY_<CHANNEL>_*` configures a channel' },
} as const;

export class EnvironmentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`bad environment: ${problems.join('; ')}`);
    this.name = 'EnvironmentError';
  }
}

/** The parsed value of a set variable; undefined when unset or empty. A bad value throws EnvironmentError naming it. */
export function envValue<N extends EnvName>(name: N, env: Env): ValueOf<N> | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  try {
    return (ENVIRONMENT[name] as Variable<ValueOf<N>>).parse(raw, name);
  } catch (err) {
    if (err instanceof EnvValueError) throw new EnvironmentError([err.message]);
    throw err;
  }
}

/** What is wrong with the environment of `process`: every bad variable it reads, each named. */
export function environmentProblems(env: Env, process: EnvProcess): string[] {
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(ENVIRONMENT) as [EnvName, Variable<unknown>][]) {
    if (!variable.processes.includes(process)) continue;
    try {
      envValue(name, env);
    } catch (err) {
      if (!(err instanceof EnvironmentError)) throw err;
      problems.push(...err.problems);
    }
    if (variable.fromFile && env[name] && env[`${name}_FILE`]) problems.push(`${name} and ${name}_FILE are both set: set only one of them`);
  }
  return problems;
}

/** Refuses to start `process` on a bad environment, with one error naming every bad variable. */
export function checkEnvironment(env: Env, process: EnvProcess): void {
  const problems = environmentProblems(env, process);
  if (problems.length > 0) throw new EnvironmentError(problems);
}
