/**
 * The seams, held by tests: the domain is the pure core (it imports nothing of the activities, workers, client or
 * any other outer folder, and no package but the pure ones below), and the backtester's engine bundle (the cycle,
 * strategies, risk and paper fills, backtest/compiled.ts) holds only domain and backtest code, no I/O package.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildEngineBundle } from '../../backtest/compiled';

const ROOT = path.resolve(__dirname, '../..');
const DOMAIN = path.join(ROOT, 'domain');

/** Packages the pure core may use: schema validation, and Temporal's failure and search-attribute types (no I/O). */
const DOMAIN_PACKAGES = new Set(['zod', '@temporalio/common']);
/** Packages that talk to the outside world (or bring a runtime that does): never in the domain nor the engine bundle. */
const IO_PACKAGES = [
  'prom-client', 'ollama', '@temporalio/activity', '@temporalio/worker', '@temporalio/client', '@temporalio/testing', 'ccxt', 'prisma', '@prisma/',
  'onnxruntime-node', 'pg', '@libsql/', 'fastify', '@fastify/', 'nodemailer', 'eta',
];

const sources = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : /\.tsx?$/.test(e.name) ? [full] : [];
  });

/** Every module specifier a file names: static and type imports, re-exports, dynamic imports and requires. */
export function specifiers(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*['"]([^'"]+)['"]\s*;?\s*$|\bimport\s*\(\s*['"]([^'"]+)['"]|\brequire\s*\(\s*['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"])/gm;
  for (let m = pattern.exec(source); m; m = pattern.exec(source)) found.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  return found;
}

/** What is wrong with one domain file's imports: a module outside domain/, or a package that is not pure. */
export function domainImportProblems(file: string, source: string): string[] {
  const problems: string[] = [];
  for (const spec of specifiers(source)) {
    if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(`${DOMAIN}${path.sep}`)) problems.push(`${path.relative(ROOT, file)} imports ${spec} (${path.relative(ROOT, target)}), outside domain/`);
    } else if (!DOMAIN_PACKAGES.has(spec) && !DOMAIN_PACKAGES.has(spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'))) {
      problems.push(`${path.relative(ROOT, file)} imports the package ${spec}, which the pure core may not use`);
    }
  }
  return problems;
}

describe('the domain', () => {
  it('imports nothing from activities/, workers/, client/ or any other outer folder, and only pure packages', () => {
    const files = sources(DOMAIN);
    expect(files.length).toBeGreaterThan(70);
    expect(files.flatMap((f) => domainImportProblems(f, fs.readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('the check fails on an import of an activity, a worker, the client or an I/O package', () => {
    const file = path.join(DOMAIN, 'cycle', 'example.ts');
    expect(domainImportProblems(file, "import type { PlaceOrderInput } from '../../activities/execution';")).toEqual([
      'domain/cycle/example.ts imports ../../activities/execution (activities/execution), outside domain/',
    ]);
    expect(domainImportProblems(file, "import { x } from '../../workers/runtime';\nexport * from '../../client/cli';")).toHaveLength(2);
    expect(domainImportProblems(file, "const c = require('ccxt');")).toEqual(['domain/cycle/example.ts imports the package ccxt, which the pure core may not use']);
    expect(domainImportProblems(file, "import { z } from 'zod';\nimport { ApplicationFailure } from '@temporalio/common';\nimport { a } from '../ids';")).toEqual([]);
  });
});

/** What is wrong with the engine bundle: inputs outside domain/ and backtest/, I/O packages required or named. */
export function bundleProblems(bundle: { code: string; metafile?: { inputs: Record<string, { imports: { path: string; external?: boolean }[] }> } }): string[] {
  const problems: string[] = [];
  const io = (name: string) => IO_PACKAGES.some((p) => (p.endsWith('/') ? name.startsWith(p) : name === p || name.startsWith(`${p}/`)));
  for (const [input, { imports }] of Object.entries(bundle.metafile?.inputs ?? {})) {
    if (!/^(domain|backtest)\//.test(input)) problems.push(`the bundle holds ${input}`);
    for (const i of imports) if (i.external && io(i.path)) problems.push(`${input} requires ${i.path}`);
  }
  // A package loaded by name at run time (createRequire(...)('ccxt')) is no import esbuild sees: look for the call.
  for (const name of IO_PACKAGES.filter((p) => !p.endsWith('/'))) {
    if (new RegExp(`\\(\\s*['"\`]${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}['"\`]\\s*\\)`).test(bundle.code)) problems.push(`the bundle loads the package ${name}`);
  }
  return problems;
}

describe("the backtester's engine bundle", () => {
  it('holds only domain and backtest code, and no I/O package', () => {
    const bundle = buildEngineBundle({ metafile: true });
    const inputs = Object.keys(bundle.metafile!.inputs);
    expect(inputs).toContain('domain/cycle/runCycle.ts');
    expect(inputs).toContain('backtest/engine.ts');
    expect(bundleProblems(bundle)).toEqual([]);
  });

  it('the check fails on an activity, a required I/O package or one loaded by name', () => {
    const inputs = { 'activities/llm.ts': { imports: [{ path: 'ollama', external: true }, { path: 'prom-client', external: true }] } };
    expect(bundleProblems({ code: '', metafile: { inputs } })).toEqual(['the bundle holds activities/llm.ts', 'activities/llm.ts requires ollama', 'activities/llm.ts requires prom-client']);
    expect(bundleProblems({ code: "createRequire(__filename)('ccxt')", metafile: { inputs: {} } })).toEqual(['the bundle loads the package ccxt']);
    expect(bundleProblems({ code: "if (verdicts === 'ollama') ask();", metafile: { inputs: {} } })).toEqual([]);
    expect(bundleProblems({ code: 'require("zod")', metafile: { inputs: { 'domain/config.ts': { imports: [{ path: 'zod', external: true }] } } } })).toEqual([]);
  });
});

describe('one meaning of "fraction"', () => {
  it('is declared once (domain/fractions.ts), and each schema names the range it takes', () => {
    const declaring = sources(DOMAIN).filter((f) => /\bconst (fraction|positiveFraction|openFraction)\s*=/.test(fs.readFileSync(f, 'utf8')));
    expect(declaring.map((f) => path.relative(ROOT, f))).toEqual([path.join('domain', 'fractions.ts')]);
    const uses = (file: string) => [...fs.readFileSync(path.join(DOMAIN, file), 'utf8').matchAll(/\b(fraction|positiveFraction|openFraction)\b[,.)]/g)].map((m) => m[1]);
    expect(new Set(uses('config.ts'))).toEqual(new Set(['fraction', 'positiveFraction']));
    expect(new Set(uses(path.join('strategies', 'config.ts')))).toEqual(new Set(['openFraction']));
  });
});
