/**
 * `--llm ollama`: the model's verdicts cached on disk by the hash of the exact question (model and messages, which
 * carry the proposal and the portfolio at that candle), so a rerun asks nothing again and decides identically. One
 * small JSON file per answer under `<dir>/<first two hex digits>/`; fallback verdicts (Ollama down, garbage) are
 * never cached, so a rerun with the model up asks again.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AnswerCache } from '../activities/llm';

export interface CountingCache extends AnswerCache {
  readonly dir: string;
  /** Answers read from the disk, and answers the model gave and were stored, in this process. */
  readonly hits: number;
  readonly stored: number;
}

type Answer = { approve: boolean; confidence: number; reason: string };

export function diskAnswerCache(dir: string): CountingCache {
  let hits = 0;
  let stored = 0;
  const file = (key: string) => path.join(dir, key.slice(0, 2), `${key}.json`);
  return {
    dir,
    get hits() { return hits; },
    get stored() { return stored; },
    key: (model, messages) => createHash('sha256').update(JSON.stringify({ model, messages })).digest('hex'),
    async get(key) {
      let text: string;
      try {
        text = await fs.readFile(file(key), 'utf8');
      } catch {
        return undefined;
      }
      hits++;
      return JSON.parse(text) as Answer;
    },
    async set(key, answer) {
      await fs.mkdir(path.dirname(file(key)), { recursive: true });
      // Written whole under another name, then renamed: a run killed mid-write never leaves half an answer.
      const tmp = `${file(key)}.${process.pid}.tmp`;
      await fs.writeFile(tmp, JSON.stringify(answer));
      await fs.rename(tmp, file(key));
      stored++;
    },
  };
}
