/**
 * The engine (./engine.ts and everything it runs: the cycle, strategies, risk, paper fills) bundled into one module
 * by esbuild, built in memory from the same sources the first time a backtest runs in a process (~0.1 s).
 *
 * Why: tsx, which runs this TypeScript without a build step, compiles each file on its own with `keepNames` (every
 * closure a cycle creates is renamed through Object.defineProperty) and exports bindings through getters (every
 * call into another module reads one). On the engine's hot path that costs about a third of its speed; one bundle
 * has neither. `npm run bench:backtest` prints both engines' throughput; tests/unit/backtest/fastPaths.test.ts holds
 * them to the same result. BACKTEST_ENGINE=source runs the source modules instead (for a debugger).
 */
import Module from 'node:module';
import * as path from 'node:path';
import { buildSync, type BuildResult, type Metafile } from 'esbuild';
import type * as EngineModule from './engine';

let compiled: typeof EngineModule | undefined;

/** Which engine runLoadedBacktest uses: 'compiled' unless BACKTEST_ENGINE=source. */
export function engineKind(): 'compiled' | 'source' {
  const requested = process.env.BACKTEST_ENGINE ?? 'compiled';
  if (requested !== 'compiled' && requested !== 'source') throw new Error(`BACKTEST_ENGINE must be 'compiled' or 'source', got '${requested}'`);
  return requested;
}

/**
 * The engine's bundle, as compiledEngine loads it; with `metafile`, what went into it too (the architecture test
 * holds it to the domain and the backtester: no activity, no I/O package).
 */
export function buildEngineBundle(options: { metafile?: boolean } = {}): { code: string; metafile?: Metafile } {
  const result: BuildResult<{ write: false; metafile: boolean }> = buildSync({
    entryPoints: [path.join(__dirname, 'engine.ts')], bundle: true, platform: 'node', format: 'cjs', target: `node${process.versions.node}`,
    // Packages stay require()s of node_modules, so the bundle shares them (and onnxruntime's native session) with the process.
    packages: 'external', write: false, sourcemap: 'inline', sourcesContent: false, logLevel: 'silent', metafile: options.metafile ?? false,
  });
  return { code: result.outputFiles[0].text, ...(result.metafile && { metafile: result.metafile }) };
}

export function compiledEngine(): typeof EngineModule {
  if (compiled) return compiled;
  const { code } = buildEngineBundle();
  // The bundle is compiled as if it were backtest/engine.js: the few modules that locate files from __dirname
  // (activities/modelRegistry.ts: `<dir>/../models`) sit one folder deep too, so their paths still resolve.
  const filename = path.join(__dirname, 'engine.bundle.js');
  const m = new Module(filename, module);
  m.filename = filename;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  (m as unknown as { _compile(code: string, file: string): void })._compile(code, filename);
  compiled = m.exports as typeof EngineModule;
  return compiled;
}

/** The engine's entry point, compiled or from source (see engineKind). */
export function engine(): typeof EngineModule {
  // Required lazily: the compiled run never loads the engine's source modules through tsx.
  return engineKind() === 'compiled' ? compiledEngine() : (require('./engine') as typeof EngineModule);
}
