/**
 * Every activity a workflow calls is registered, as that very function, on the task queue its proxy sends it to
 * (workers/activitiesByQueue.ts): a mismatch is a task that sits on a queue no worker of it polls.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ACTIVITIES_BY_QUEUE } from '../../workers/activitiesByQueue';

const ROOT = path.resolve(__dirname, '../..');
const WORKFLOWS = path.join(ROOT, 'workflows');

const sources = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
  });

interface Proxy { name: string; module: string; queue: string; file: string }

/** The proxies a workflow file declares: `const x = proxyActivities<typeof mod>({ taskQueue: TASK_QUEUES.q` (or a function returning one). */
export function proxiesIn(file: string, source: string): Proxy[] {
  const modules = new Map([...source.matchAll(/import type \* as (\w+) from '([^']+)'/g)].map((m) => [m[1], path.resolve(path.dirname(file), m[2])]));
  const found: Proxy[] = [];
  for (const m of source.matchAll(/(?:const (\w+) =|function (\w+)\([^)]*\)\s*\{\s*return)\s*proxyActivities<typeof (\w+)>\(\{\s*taskQueue: TASK_QUEUES\.(\w+)/g)) {
    found.push({ name: m[1] ?? `${m[2]}(`, module: modules.get(m[3]) ?? m[3], queue: m[4], file });
  }
  return found;
}

/** Whether a workflow file can call a proxy: it declares it, or imports it from the file that does. */
export function sees(file: string, source: string, proxy: Proxy): boolean {
  if (file === proxy.file) return true;
  const name = proxy.name.replace(/\($/, '');
  return [...source.matchAll(/import \{([^}]*)\} from '(\.\.?\/[^']+)'/g)].some(
    (m) => path.resolve(path.dirname(file), m[2]) === proxy.file.replace(/\.ts$/, '') && m[1].split(',').map((n) => n.trim()).includes(name),
  );
}

/** The activities called through a proxy in a source: `proxy.activity` (or `proxyFn(...).activity`). */
export function callsIn(source: string, proxy: Proxy): string[] {
  const name = proxy.name.endsWith('(') ? `(?<![./\\w])${proxy.name.slice(0, -1)}\\([^)]*\\)` : `(?<![./\\w])${proxy.name}`;
  return [...source.matchAll(new RegExp(`${name}\\.(\\w+)`, 'g'))].map((m) => m[1]);
}

describe('task queues', () => {
  const files = sources(WORKFLOWS).map((f) => ({ file: f, source: fs.readFileSync(f, 'utf8') }));
  const proxies = files.flatMap(({ file, source }) => proxiesIn(file, source));

  it('every activity a workflow calls is registered as itself on the queue its proxy uses', () => {
    expect(proxies.length).toBeGreaterThanOrEqual(10);
    const calls: string[] = [];
    const problems: string[] = [];
    for (const proxy of proxies) {
      // A proxy exported by one file is called in the files that import it (activityProxies.ts).
      const used = files.filter(({ file, source }) => sees(file, source, proxy)).flatMap(({ source }) => callsIn(source, proxy));
      const activities = require(proxy.module) as Record<string, unknown>;
      for (const activity of new Set(used)) {
        calls.push(`${proxy.queue}.${activity}`);
        const registered = (ACTIVITIES_BY_QUEUE as Record<string, Record<string, unknown>>)[proxy.queue]?.[activity];
        if (typeof activities[activity] !== 'function') problems.push(`${path.relative(ROOT, proxy.file)}: ${proxy.name} calls ${activity}, which ${path.relative(ROOT, proxy.module)} does not export`);
        else if (registered !== activities[activity]) problems.push(`${activity} is sent to queue ${proxy.queue} but not registered there (workers/activitiesByQueue.ts)`);
      }
    }
    expect(problems).toEqual([]);
    expect(calls).toEqual(expect.arrayContaining([
      'marketData.fetchMarketData', 'inference.computeFeatures', 'inference.inferSignals', 'inference.assessTradeRisk', 'llm.validateTrades',
      'execution.placeOrder', 'execution.cancelAllOpenOrders', 'persistence.recordCycle', 'persistence.scoreMatureSignals', 'training.trainCandidate',
      'notify.deliverNotifications',
    ]));
  });

  it('no activity is registered on two queues', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const [queue, activities] of Object.entries(ACTIVITIES_BY_QUEUE)) {
      for (const name of Object.keys(activities)) {
        if (seen.has(name)) twice.push(`${name}: ${seen.get(name)} and ${queue}`);
        seen.set(name, queue);
      }
    }
    expect(twice).toEqual([]);
  });

  it('the check sees a proxy, its queue and its calls', () => {
    const file = path.join(WORKFLOWS, 'example.ts');
    const source = "import type * as m from '../activities/market';\nconst market = proxyActivities<typeof m>({ taskQueue: TASK_QUEUES.inference });\nawait market.fetchMarketData(x);";
    const [proxy] = proxiesIn(file, source);
    expect(proxy).toMatchObject({ name: 'market', queue: 'inference', module: path.join(ROOT, 'activities', 'market') });
    expect(callsIn(source, proxy)).toEqual(['fetchMarketData']);
  });
});
