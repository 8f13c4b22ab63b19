/**
 * Determinism guards. Replaying committed histories against today's workflow code catches a change to the
 * order or kind of commands (activities, timers, children); a static scan catches what replay cannot,
 * such as Math.random or Date.now, which the sandbox makes replay-stable but which have no place in our
 * workflow code, and imports of I/O modules.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { historyFromCliJson } from './historyJson';

const HISTORY_DIR = path.join(__dirname, 'histories');
const WORKFLOWS_DIR = path.resolve(__dirname, '../../workflows');

function histories() {
  return fs
    .readdirSync(HISTORY_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const { workflowId, history } = JSON.parse(fs.readFileSync(path.join(HISTORY_DIR, f), 'utf8')) as { workflowId: string; history: unknown };
      return { file: f, workflowId, history: historyFromCliJson(history) };
    });
}

describe('replay of committed histories', () => {
  const recorded = histories();

  it('has histories of the portfolio, cycle, liquidation and notifier workflows to replay', () => {
    expect(recorded.some((h) => h.file.includes('portfolio'))).toBe(true);
    expect(recorded.some((h) => h.file.includes('cycle'))).toBe(true);
    expect(recorded.some((h) => h.file.includes('liquidation'))).toBe(true);
    expect(recorded.some((h) => h.file.includes('notifier'))).toBe(true);
  });

  it('replays every history against the current workflow code', async () => {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
    const results = Worker.runReplayHistories({ workflowBundle }, recorded.map((h) => ({ workflowId: h.workflowId, history: h.history })));
    const failures: string[] = [];
    for await (const r of results) if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    expect(failures).toEqual([]);
  });

  it('fails when a workflow issues its commands differently', async () => {
    // The same portfolio workflow with one extra durable timer before it starts: a typical unsafe edit.
    const dir = fs.mkdtempSync(path.join(__dirname, '.altered-'));
    try {
      const source = fs.readFileSync(path.join(WORKFLOWS_DIR, 'portfolio.ts'), 'utf8')
        .replace(/from '\.\.\//g, `from '${path.resolve(WORKFLOWS_DIR, '..')}/`)
        .replace(/from '\.\//g, `from '${WORKFLOWS_DIR}/`)
        .replace('  while (!stopping) {', '  await sleep(1);\n  while (!stopping) {');
      fs.writeFileSync(path.join(dir, 'index.ts'), source);
      const workflowBundle = await bundleWorkflowCode({ workflowsPath: path.join(dir, 'index.ts'), logger: new DefaultLogger('WARN') });
      const portfolio = recorded.find((h) => h.file.includes('portfolio'))!;
      await expect(Worker.runReplayHistory({ workflowBundle }, portfolio.history, portfolio.workflowId)).rejects.toThrow(/[Nn]ondeterminism|DeterminismViolation/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('static determinism scan of workflows/ and domain/ (code that runs inside workflows)', () => {
  const FORBIDDEN: [RegExp, string][] = [
    [/Math\.random\s*\(/, 'Math.random (use uuid4 or pass randomness in from an activity)'],
    [/Date\.now\s*\(|new Date\(\s*\)/, 'wall-clock time (use workflowNow from workflows/workflowClock)'],
    [/process\.env/, 'process.env (configuration must come through workflow input)'],
    [/setTimeout\s*\(|setInterval\s*\(/, 'JS timers (use sleep or condition)'],
    [/from ['"](node:|fs|path|os|crypto|child_process|net|http|https|ccxt|onnxruntime-node|ollama|@prisma|prom-client|technicalindicators)/, 'an I/O module import (move it into an activity)'],
  ];

  const sources = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const full = path.join(dir, e.name);
      return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
    });

  it('finds no non-deterministic API in workflow code', () => {
    const problems: string[] = [];
    const root = path.resolve(WORKFLOWS_DIR, '..');
    const files = [...sources(WORKFLOWS_DIR), ...sources(path.join(root, 'domain'))];
    expect(files.some((f) => f.includes(`${path.sep}domain${path.sep}cycle${path.sep}`))).toBe(true);
    // The one sanctioned clock: the sandbox makes Date.now() the workflow task's time, recorded in history.
    const allowed = new Set([path.join(root, 'workflows', 'workflowClock.ts')]);
    for (const file of files.filter((f) => !allowed.has(f))) {
      fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        if (/^\s*(\/\/|\*)/.test(line) || /^\s*import type /.test(line)) return;
        for (const [pattern, what] of FORBIDDEN) if (pattern.test(line)) problems.push(`${path.relative(root, file)}:${i + 1}: ${what}`);
      });
    }
    expect(problems).toEqual([]);
  });
});
