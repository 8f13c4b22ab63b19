// ESLint (npm test runs it: tests/unit/lint.test.ts). What reviewers catch by reading, checked by the machine:
// - a promise nobody awaits, catches or marks `void` (a failure that vanishes, an order whose outcome is never read);
// - workflow code (workflows/, and domain/, which runs inside workflows) importing a Node built-in, or an activity,
//   a worker or the client other than for its types: the workflow sandbox must stay deterministic (the rules of
//   temporalio/samples-typescript's lint configuration).
const { builtinModules } = require('node:module');
const tseslint = require('typescript-eslint');

const SANDBOX = 'workflow code runs in the deterministic sandbox: do the I/O in an activity';
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_')).flatMap((m) => [m, `node:${m}`]);

module.exports = tseslint.config(
  { ignores: ['node_modules/**', 'prisma/generated/**', 'prisma.config.ts', '.tools/**', 'data/**', 'venv/**', 'bench/.venv/**', 'models/.venv/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: SANDBOX })),
        patterns: [{ group: ['**/activities', '**/activities/**', '**/workers/**', '**/client/**', 'ccxt', 'ollama', 'onnxruntime-node', 'prom-client', '@prisma/*', '@temporalio/activity', '@temporalio/worker', '@temporalio/client'], message: `${SANDBOX} (types only: \`import type\`)`, allowTypeImports: true }],
      }],
    },
  },
);
