/**
 * The embedded Ollama for `npm start`, as temporalServer.ts is for Temporal: used only when nothing answers at
 * OLLAMA_HOST. The binary and the bundled model are what scripts/install-ollama.sh put under .tools/ollama; models
 * are served from data/ollama, and the bundled one is imported there when missing. The server runs in its own
 * process group so stopping it also stops the model runners it spawns.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ollama } from 'ollama';
import { pulledModels, withTag } from '../activities/llm/ollamaChat';
import { EMBEDDED_LLM_MODEL } from '../domain/config';
import { PROJECT_ROOT } from './temporalServer';

const run = promisify(execFile);
export const OLLAMA_DIR = path.join(PROJECT_ROOT, '.tools/ollama');
/** The model file install-ollama.sh fetches, and the Modelfile it writes to import it as EMBEDDED_LLM_MODEL. */
export const BUNDLED_GGUF = path.join(OLLAMA_DIR, 'models/SmolLM2-135M-Instruct.Q4_1.gguf');
export const BUNDLED_MODELFILE = path.join(OLLAMA_DIR, 'Modelfile');
const START_TIMEOUT_MS = 30_000;

/** OLLAMA_BIN, else the binary install-ollama.sh built; undefined when neither exists. */
export function ollamaBinaryPath(): string | undefined {
  return [process.env.OLLAMA_BIN, path.join(OLLAMA_DIR, 'bin/ollama')].find((p): p is string => Boolean(p) && fs.existsSync(p!));
}

/** `http://host:port` for OLLAMA_HOST's forms (`host:port`, `http://host:port`, `:port`), as Ollama reads it. */
export function ollamaUrl(host = process.env.OLLAMA_HOST || '127.0.0.1:11434'): URL {
  const withScheme = /^[a-z]+:\/\//i.test(host) ? host : `http://${host.startsWith(':') ? `127.0.0.1${host}` : host}`;
  const url = new URL(withScheme);
  if (!url.port) url.port = '11434';
  return url;
}

/** Whether an Ollama answers at `url` (its root says "Ollama is running"). */
export async function ollamaAnswers(url: URL, timeoutMs = 1_000): Promise<boolean> {
  try {
    const res = await fetch(new URL('/api/version', url.origin), { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

export interface EmbeddedOllama {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  url: URL;
  /** OLLAMA_MODELS: where the server keeps models. */
  modelsDir: string;
  logFile: string;
  binary?: string;
}

export async function startEmbeddedOllama(opts: EmbeddedOptions): Promise<EmbeddedOllama> {
  const binary = opts.binary ?? ollamaBinaryPath();
  if (!binary) throw new Error('Ollama is not installed: `npm ci` builds it into .tools/ollama (it needs Go and a C compiler), or set OLLAMA_BIN');
  fs.mkdirSync(opts.modelsDir, { recursive: true });
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = fs.openSync(opts.logFile, 'a');
  const env = {
    ...process.env,
    OLLAMA_HOST: opts.url.host,
    OLLAMA_MODELS: opts.modelsDir,
    // A cycle asks every minute or so: keep the model loaded between cycles instead of reloading it each time.
    OLLAMA_KEEP_ALIVE: process.env.OLLAMA_KEEP_ALIVE ?? '30m',
  };
  const child = spawn(binary, ['serve'], { stdio: ['ignore', log, log], env, detached: true });
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  // A worker process that dies without stopping it must not leave a server and its runners behind.
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await ollamaAnswers(opts.url, 500))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      process.removeListener('exit', onExit);
      throw new Error(`Ollama exited at start (code ${child.exitCode ?? child.signalCode}); see ${opts.logFile}`);
    }
    if (Date.now() > deadline) {
      killGroup('SIGKILL');
      process.removeListener('exit', onExit);
      throw new Error(`Ollama did not answer on ${opts.url.host} within ${START_TIMEOUT_MS / 1000} s; see ${opts.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: opts.url.origin,
    process: child,
    async stop() {
      process.removeListener('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      // The runners are the server's children, in its group: make sure none outlives it.
      killGroup('SIGKILL');
    },
  };
}

/** Whether the server at `url` has `model` (untagged names read as `:latest`). */
export async function hasModel(url: string, model: string): Promise<boolean> {
  return (await pulledModels(new Ollama({ host: url }))).has(withTag(model));
}

/** Imports `model` from a Modelfile into the server at `url` (`ollama create`, about a second), unless it has it. */
export async function importModel(url: string, model: string, modelfile: string, binary = ollamaBinaryPath()): Promise<'present' | 'imported'> {
  if (await hasModel(url, model)) return 'present';
  if (!binary) throw new Error(`cannot import ${model}: Ollama is not installed (run npm ci)`);
  if (!fs.existsSync(modelfile)) throw new Error(`cannot import ${model}: ${modelfile} is missing (npm ci writes it)`);
  await run(binary, ['create', model, '-f', modelfile], { env: { ...process.env, OLLAMA_HOST: new URL(url).host }, timeout: 120_000 });
  return 'imported';
}

/**
 * `npm start`: the Ollama at OLLAMA_HOST when one answers, else the embedded one with the bundled model imported.
 * Returns undefined (and says why) when there is none to start: the cycles then record fallback verdicts.
 */
export async function ensureOllama(log: (line: string) => void): Promise<EmbeddedOllama | undefined> {
  const url = ollamaUrl();
  if (await ollamaAnswers(url)) {
    log(`Using the Ollama already at ${url.origin}`);
    return undefined;
  }
  if (!ollamaBinaryPath()) {
    log(`No Ollama at ${url.origin} and none installed (npm ci builds one when Go and a C compiler are present): LLM verdicts will be fallbacks`);
    return undefined;
  }
  log(`Starting the embedded Ollama on ${url.host} (models in data/ollama, log data/ollama.log)...`);
  let embedded: EmbeddedOllama;
  try {
    embedded = await startEmbeddedOllama({
      url, modelsDir: path.join(PROJECT_ROOT, 'data/ollama'), logFile: path.join(PROJECT_ROOT, 'data/ollama.log'),
    });
  } catch (err) {
    // The LLM is an advisor: without it the cycles trade on the fallback policy, so the start goes on.
    log(`  ${(err as Error).message}: LLM verdicts will be fallbacks`);
    return undefined;
  }
  try {
    if ((await importModel(embedded.url, EMBEDDED_LLM_MODEL, BUNDLED_MODELFILE)) === 'imported') log(`  imported ${EMBEDDED_LLM_MODEL} from .tools/ollama`);
  } catch (err) {
    log(`  ${(err as Error).message}`);
  }
  return embedded;
}
