/**
 * ESLint over the project (eslint.config.js): no floating promise anywhere, and no Node built-in, activity, worker or
 * client import (other than for types) in workflow code. One ESLint run in a process of its own
 * (tests/helpers/lint.js), its type information shared by the project and the fixture below.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
/** A file that does not exist: the rules are shown to fire on it (the project service takes it as given). */
const FIXTURE = 'workflows/lintFixture.ts';
const FIXTURE_CODE = [
  "import fs from 'node:fs';",
  "import { placeOrder } from '../activities/execution';",
  "import type { PlaceOrderInput } from '../activities/execution';",
  'export async function cycle(): Promise<void> { Promise.resolve(1); }',
  'export const uses = (x: PlaceOrderInput) => [fs, placeOrder, x];',
].join('\n');

interface Linted { file: string; messages: { line: number; rule: string | null; message: string }[] }

describe('lint', () => {
  let linted: { project: Linted[]; fixture: Linted };
  beforeAll(() => {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'tests', 'helpers', 'lint.js'), ROOT, FIXTURE], { input: FIXTURE_CODE, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    linted = JSON.parse(out);
  }, 120_000);

  it('finds nothing in the project', () => {
    expect(linted.project.length).toBeGreaterThan(300);
    expect(linted.project.flatMap((r) => r.messages.map((m) => `${r.file}:${m.line}: ${m.rule ?? 'parse'}: ${m.message}`))).toEqual([]);
  });

  it('refuses a floating promise, and a Node built-in or an activity imported into workflow code', () => {
    expect(linted.fixture.messages.map((m) => `${m.line}: ${m.rule}`)).toEqual([
      '1: @typescript-eslint/no-restricted-imports',
      '2: @typescript-eslint/no-restricted-imports',
      '4: @typescript-eslint/no-floating-promises',
    ]);
  });
});
