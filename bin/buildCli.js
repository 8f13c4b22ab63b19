/**
 * tradectl as one esbuild bundle, so a command that talks to Temporal (status, pause, set, ...) starts in a few
 * hundred milliseconds instead of the ~1.2 s tsx needs to compile the TypeScript it imports on every run
 * (`npm run bench:cli` measures both in the same run).
 *
 * The bundle holds the CLI's light part (client/, domain/, workflows/ and the packages they require). Modules under
 * activities/, backtest/, prisma/, workers/ and scripts/ (ccxt, Prisma, onnxruntime, esbuild, and code that finds
 * files from its own __dirname) stay TypeScript: each is replaced by a shim that loads it through tsx the first time
 * a command touches one of its exports, so `status` never loads them and `backtest` runs them as they are.
 *
 * Built at install (package.json postinstall) into node_modules/.cache/tradectl, and again by bin/tradectl.js
 * whenever a file it was built from is newer than the bundle: an edited source is never run stale.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'node_modules', '.cache', 'tradectl');
const BUNDLE = path.join(OUT_DIR, 'cli.js');
const INPUTS = path.join(OUT_DIR, 'inputs.json');
const LAZY_DIRS = ['activities', 'backtest', 'prisma', 'workers', 'scripts'].map((d) => path.join(ROOT, d) + path.sep);

/** Whether the bundle exists and no file it was built from changed since. */
function isFresh() {
  try {
    const { builtAt, inputs } = JSON.parse(fs.readFileSync(INPUTS, 'utf8'));
    return inputs.every((file) => fs.statSync(file).mtimeMs <= builtAt);
  } catch {
    return false;
  }
}

function resolveSource(from, request) {
  const base = path.resolve(from, request);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts'), `${base}.js`]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** A module that loads `source` through tsx on first use of any export. */
function shimFor(source) {
  return [
    "'use strict';",
    'let loaded;',
    `const load = () => (loaded ??= (require('tsx/cjs'), require(${JSON.stringify(source)})));`,
    'module.exports = new Proxy({}, {',
    '  get: (_, key) => load()[key],',
    '  has: (_, key) => key in load(),',
    '  ownKeys: () => Reflect.ownKeys(load()),',
    '  getOwnPropertyDescriptor: (_, key) => { const d = Object.getOwnPropertyDescriptor(load(), key); return d && { ...d, configurable: true }; },',
    '});',
    '',
  ].join('\n');
}

async function build() {
  const esbuild = require('esbuild');
  const shims = new Map();
  const lazyModules = {
    name: 'lazy-heavy-modules',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const source = resolveSource(args.resolveDir, args.path);
        if (!source || !LAZY_DIRS.some((dir) => source.startsWith(dir))) return undefined;
        const shim = path.join(OUT_DIR, 'lazy', `${path.relative(ROOT, source).replace(/[\\/]/g, '__')}.js`);
        shims.set(shim, source);
        return { path: shim, external: true };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, 'client', 'cli.ts')], bundle: true, platform: 'node', format: 'cjs', target: `node${process.versions.node}`,
    packages: 'external', write: false, metafile: true, logLevel: 'silent', plugins: [lazyModules], absWorkingDir: ROOT,
  });
  fs.mkdirSync(path.join(OUT_DIR, 'lazy'), { recursive: true });
  for (const [shim, source] of shims) fs.writeFileSync(shim, shimFor(source));
  // Written whole under another name, then renamed: two commands building at once never read half a bundle.
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, result.outputFiles[0].text);
  fs.renameSync(tmp, BUNDLE);
  const inputs = [...Object.keys(result.metafile.inputs).map((f) => path.resolve(ROOT, f)), __filename, path.join(ROOT, 'package-lock.json')];
  fs.writeFileSync(INPUTS, JSON.stringify({ builtAt: Date.now(), inputs }));
}

/** The CLI module, from a fresh bundle (built first when needed). */
async function loadCli() {
  if (!isFresh()) await build();
  return require(BUNDLE);
}

module.exports = { build, isFresh, loadCli, BUNDLE };

if (require.main === module) {
  build().then(() => console.log(`tradectl bundle built: ${path.relative(ROOT, BUNDLE)}`), (err) => {
    console.error(`tradectl bundle not built (tradectl will build it on first use): ${err.message}`);
  });
}
