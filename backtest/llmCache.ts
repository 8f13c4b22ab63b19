/**
 * `--llm ollama`: the model's answers cached on disk by their question's key (the model and the hash of the prompt,
 * which carries the proposal and the portfolio at that candle: activities/llm.ts answerKey), so a rerun asks nothing
 * again and decides identically. One small JSON file per answer under `<dir>/<first two hex digits>/`, named by the
 * key's sha256; fallbacks (Ollama down, garbage) are never cached, so a rerun with the model up asks again.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AnswerCache, CachedAnswer } from '../activities/llm';

export interface CountingCache extends AnswerCache {
  readonly dir: string;
  /** Answers read from the disk, and answers the model gave and were stored, in this process. */
  readonly hits: number;
  readonly stored: number;
}

export function diskAnswerCache(dir: string): CountingCache {
  let hits = 0;
  let stored = 0;
  const file = (key: string) => {
    const name = createHash('sha256').update(key).digest('hex');
    return path.join(dir, name.slice(0, 2), `${name}.json`);
  };
  return {
    dir,
    get hits() { return hits; },
    get stored() { return stored; },
    async get(key) {
      let text: string;
      try {
        text = await fs.readFile(file(key), 'utf8');
      } catch {
        return undefined;
      }
      hits++;
      return JSON.parse(text) as CachedAnswer;
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
