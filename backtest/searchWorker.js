// Worker-thread entry of the parameter search: registers tsx so the TypeScript job runs without a build step
// (as bin/tradectl.js does), then answers { index, job } messages with { index, result } or { index, error }.
require('tsx/cjs');
const { parentPort } = require('node:worker_threads');
const { runSearchJob } = require('./searchJob.ts');

parentPort.on('message', async (job) => {
  try {
    parentPort.postMessage({ index: job.index, result: await runSearchJob(job) });
  } catch (err) {
    parentPort.postMessage({ index: job.index, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
});
