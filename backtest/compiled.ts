/**
 * The engine (./engine.ts and everything it runs: the cycle, strategies, risk, paper fills) bundled into one module
 * by esbuild, built in memory from the same sources the first time a backtest runs in a process (~0.1 s).
 *
 * Why: tsx, which runs this TypeScript without a build step, compiles each file on its own with `keepNames` (every
 * closure a cycle creates is renamed through Object.defineProperty) and exports bindings through getters (every
 * call into another module reads one). On the engine's hot path that costs about a third of its speed; one bundle
 * has neither. `npm run bench:backtest` prints both engines' throughput; tests/unit/backtest/compiled.test.ts holds
 * them to the same result. BACKTEST_ENGINE=source runs the source modules instead (for a debugger).
 */
import Module from 'node:module';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import type * as EngineModule from './engine';

let compiled: typeof EngineModule | undefined;

/** Which engine runLoadedBacktest uses: 'compiled' unless BACKTEST_ENGINE=source. */
export function engineKind(): 'compiled' | 'source' {
  const requested = process.env.BACKTEST_ENGINE ?? 'compiled';
  if (requested !== 'compiled' && requested !== 'source') throw new Error(`BACKTEST_ENGINE must be 'compiled' or 'source', got '${requested}'`);
  return requested;
}

export function compiledEngine(): typeof EngineModule {
  if (compiled) return compiled;
  const entry = path.join(__dirname, 'engine.ts');
  const { outputFiles } = buildSync({
    entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: `node${process.versions.node}`,
    // Packages stay require()s of node_modules, so the bundle shares them (and onnxruntime's native session) with the process.
    packages: 'external', write: false, sourcemap: 'inline', sourcesContent: false, logLevel: 'silent',
  });
  // The bundle is compiled as if it were backtest/engine.js: the few modules that locate files from __dirname
  // (activities/modelRegistry.ts: `<dir>/../models`) sit one folder deep too, so their paths still resolve.
  const filename = path.join(__dirname, 'engine.bundle.js');
  const m = new Module(filename, module);
  m.filename = filename;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  (m as unknown as { _compile(code: string, file: string): void })._compile(outputFiles[0].text, filename);
  compiled = m.exports as typeof EngineModule;
  return compiled;
}

/** The engine's entry point, compiled or from source (see engineKind). */
export function engine(): typeof EngineModule {
  // Required lazily: the compiled run never loads the engine's source modules through tsx.
  return engineKind() === 'compiled' ? compiledEngine() : (require('./engine') as typeof EngineModule);
}
