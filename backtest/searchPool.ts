/**
 * Runs search jobs on node:worker_threads, one job per thread at a time, and returns the results in job order:
 * which thread ran a job never changes its result, so any worker count gives the same answer.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SearchJob, SearchJobResult } from './searchJob';

type Reply = { index: number; result?: SearchJobResult; error?: string };

export async function runJobs(jobs: SearchJob[], workers: number): Promise<SearchJobResult[]> {
  if (jobs.length === 0) return [];
  const threads = Math.max(1, Math.min(workers, jobs.length));
  const results: SearchJobResult[] = new Array(jobs.length);
  let next = 0;
  const pool = Array.from({ length: threads }, () => new Worker(path.join(__dirname, 'searchWorker.js')));
  try {
    await Promise.all(
      pool.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= jobs.length) return resolve();
              worker.postMessage(jobs[next++]);
            };
            worker.on('message', (reply: Reply) => {
              if (reply.error !== undefined) return reject(new Error(`search job ${reply.index}: ${reply.error}`));
              results[reply.index] = reply.result!;
              feed();
            });
            worker.on('error', reject);
            worker.on('exit', (code) => (next < jobs.length || code !== 0 ? reject(new Error(`search worker exited with code ${code}`)) : undefined));
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}
