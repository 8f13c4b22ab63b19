/**
 * `npm run llm:report` keeps its answers in the backtester's disk cache (backtest/llmCache.ts), so a backtest with
 * `--llm ollama` and the report share them, and still knows which answers this run used and how many it asked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diskAnswerCache } from '../../backtest/llmCache';
import { reportAnswerCache } from '../../scripts/llm-report';

it('reads what a backtest cached, stores new answers where a backtest finds them, and counts its own use', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-report-cache-'));
  try {
    const answer = (reason: string, latencyMs: number) => ({ approve: true, confidence: 0.7, reason, latencyMs });
    await diskAnswerCache(dir).set('m\nfrom-backtest', answer('cached by a backtest', 900));

    const cache = reportAnswerCache(dir);
    expect(await cache.get('m\nfrom-backtest')).toEqual(answer('cached by a backtest', 900));
    expect(await cache.get('m\nnever-asked')).toBeUndefined();
    await cache.set('m\nasked-now', answer('asked by the report', 1200));

    expect(cache.asked()).toBe(1);
    expect(cache.size()).toBe(2);
    expect(cache.used().map((a) => a.latencyMs).sort((a, b) => a - b)).toEqual([900, 1200]);
    expect(await diskAnswerCache(dir).get('m\nasked-now')).toEqual(answer('asked by the report', 1200));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
