/**
 * scripts/install-ollama.sh on a machine without Go: it says once what is missing and exits 0, so `npm ci` still
 * installs everything else and the cycles fall back (the real build is what .ci/run and tests/workflows/realOllama
 * exercise). Run from a copy of the script in a temp project, so nothing lands in this checkout's .tools/.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

it('without Go it names what is missing once, installs nothing and exits 0', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'install-ollama-'));
  try {
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.copyFileSync(path.resolve(__dirname, '../../scripts/install-ollama.sh'), path.join(dir, 'scripts/install-ollama.sh'));
    // The system's directories only: no Go (it lives in /usr/local/go), the compiler and the rest stay.
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: dir };
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', [path.join(dir, 'scripts/install-ollama.sh')], { env }, (err, out, errOut) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }));
    });

    expect(code).toBe(0);
    expect(stderr).toMatch(/^install-ollama: cannot build Ollama 0\.17\.4: missing Go \(/m);
    expect(stderr.match(/cannot build Ollama/g)).toHaveLength(1);
    expect(stderr).toMatch(/the LLM review falls back to llm\.fallback/);
    expect(stdout).not.toMatch(/ready/);
    expect(fs.existsSync(path.join(dir, '.tools/ollama/bin/ollama'))).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
