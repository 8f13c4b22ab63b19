// Runs ESLint over the project and over one fixture in a process of its own (ESLint loads its configuration with
// dynamic import(), which Jest's module system does not run), and prints both results as JSON for tests/unit/lint.test.ts.
'use strict';
const path = require('node:path');
const { ESLint } = require('eslint');

async function main() {
  const [root, fixture, code] = [process.argv[2], process.argv[3], require('node:fs').readFileSync(0, 'utf8')];
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: { languageOptions: { parserOptions: { projectService: { allowDefaultProject: [fixture] }, tsconfigRootDir: root } } },
  });
  const brief = (results) => results.map((r) => ({ file: path.relative(root, r.filePath), messages: r.messages.map((m) => ({ line: m.line, rule: m.ruleId, message: m.message })) }));
  const project = brief(await eslint.lintFiles(['.']));
  const fixtureResult = brief(await eslint.lintText(code, { filePath: path.join(root, fixture) }));
  process.stdout.write(JSON.stringify({ project, fixture: fixtureResult[0] }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
