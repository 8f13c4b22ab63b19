/**
 * Static checks of the self-hosted stack: docker-compose.temporal.yml, deploy/prometheus/prometheus.yml, Dockerfile
 * and .dockerignore. No container is started: `docker-compose config` validates and normalises the file
 * (anchors merged, variables filled with their defaults), and the assertions read its output.
 *
 * docker-compose v1 (the Debian package) is required. A missing binary FAILS this test rather than
 * skipping it, so a CI image without it cannot go green by accident: .ci/run must
 * `apt-get install -y docker-compose`.
 *
 * Secrets policy checked here (see the header of docker-compose.temporal.yml):
 * - no `environment` entry whose name looks like a secret (/KEY|SECRET|PASSPHRASE|PASSWORD|PWD|TOKEN/)
 *   carries a literal value. The only such entries allowed are the two local database passwords, and
 *   only as `${TEMPORAL_DB_PASSWORD:-dev-default}` / `${APP_DB_PASSWORD:-dev-default}`: the defaults are
 *   for local development (neither database publishes a port), overridable from the shell or .env.
 *   Credentials inside URLs (DATABASE_URL) follow the same rule. A `*_FILE` variable pointing under /run/secrets/
 *   (a Docker secret's mount, e.g. the cockpit's DASHBOARD_TOKEN_FILE) holds a path, not a secret.
 * - exchange keys never appear in the committed file; they reach worker-execution, and no other
 *   service, through an env_file given in an override file.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { load as loadYaml } from 'js-yaml';
import { dashboardSettings } from '../../dashboard/settings';
import { ALL_QUEUE_KEYS, QueueKey, TASK_QUEUES } from '../../workflows/queues';

const ROOT = path.resolve(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.temporal.yml');
const PROMETHEUS_FILE = path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml');
const DOCKERFILE = path.join(ROOT, 'Dockerfile');
const DOCKERIGNORE = path.join(ROOT, '.dockerignore');

const DEFAULT_METRICS_PORT = 9464;
const DEFAULT_TEMPORAL_METRICS_PORT = 9465;
const SECRET_NAME = /KEY|SECRET|PASSPHRASE|PASSWORD|PWD|TOKEN/i;
/** The local PostgreSQL passwords: the only secrets the committed file may name, always with a default. */
const DEV_DB_PASSWORD_VARS = ['TEMPORAL_DB_PASSWORD', 'APP_DB_PASSWORD'];
const DEV_PASSWORD_REF = new RegExp(`^\\$\\{(${DEV_DB_PASSWORD_VARS.join('|')}):?-([^}]+)\\}$`);

/** The compose service that serves one task queue, named after the queue as Temporal shows it. */
const workerService = (key: QueueKey): string => `worker-${TASK_QUEUES[key]}`;

type Env = Record<string, string | null>;
interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Env | string[];
  env_file?: string | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  deploy?: { replicas?: number };
  scale?: number;
  container_name?: string;
  ports?: Array<string | { published?: number | string; target?: number | string }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  healthcheck?: { test?: unknown; disable?: boolean };
  profiles?: string[];
}
interface ComposeConfig {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// ------------------------------------------------------------------ helpers ----

let tmpDir: string;
let emptyEnvFile: string;

/**
 * Runs docker-compose with a fixed, empty environment file and only PATH/HOME from the caller, so the
 * result is the committed file with its defaults: a developer's .env or shell cannot change the verdict
 * (nor leak a real password into a failure message).
 */
function compose(args: string[], extraFiles: string[] = []): SpawnSyncReturns<string> {
  const files = [COMPOSE_FILE, ...extraFiles].flatMap((f) => ['-f', f]);
  const result = spawnSync('docker-compose', ['--env-file', emptyEnvFile, ...files, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpDir },
    timeout: 60_000,
  });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(
        'docker-compose is not installed. This test does not skip: .ci/run must install it first ' +
          '(`apt-get update && apt-get install -y docker-compose`, the Debian package of Compose v1).',
      );
    }
    throw result.error;
  }
  return result;
}

function composeConfig(extraFiles: string[] = []): ComposeConfig {
  const result = compose(['config'], extraFiles);
  if (result.status !== 0) throw new Error(`docker-compose config failed:\n${result.stderr}`);
  return parseYaml(result.stdout) as ComposeConfig;
}

/** js-yaml 4's `load` is safe by default (no custom types). */
function parseYaml(text: string): unknown {
  return loadYaml(text);
}

function envOf(service: Service): Env {
  const env = service.environment;
  if (!env) return {};
  if (!Array.isArray(env)) return env;
  const out: Env = {};
  for (const entry of env) {
    const eq = entry.indexOf('=');
    if (eq < 0) out[entry] = null;
    else out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

function commandOf(service: Service): string[] {
  const c = service.command;
  if (!c) return [];
  return Array.isArray(c) ? c.map(String) : c.trim().split(/\s+/);
}

/** Queue keys a service serves if it runs `npm run worker`, else undefined. */
function queuesServed(service: Service): string[] | undefined {
  const cmd = commandOf(service);
  const run = cmd.indexOf('run');
  if (cmd[0] !== 'npm' || run < 0 || cmd[run + 1] !== 'worker') return undefined;
  const flag = cmd.indexOf('--queues');
  if (flag < 0) return [...ALL_QUEUE_KEYS]; // no flag: the worker serves every queue
  return (cmd[flag + 1] ?? '').split(',').filter(Boolean);
}

function dependsOn(service: Service): Record<string, { condition?: string }> {
  const d = service.depends_on;
  if (!d) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((name) => [name, {}]));
  return d;
}

/** `[host:]published:target[/proto]` or long syntax, as {published, target}. */
function portMappings(service: Service): Array<{ published: number; target: number }> {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'object') return { published: Number(p.published), target: Number(p.target) };
    const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':');
    const target = Number(parts[parts.length - 1]);
    const published = parts.length >= 2 ? Number(parts[parts.length - 2]) : NaN;
    return { published, target };
  });
}

/** `name[:tag][@digest]` → tag (undefined when absent). */
function imageTag(image: string): { tag?: string; digest?: string } {
  const [ref, digest] = image.split('@');
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return { tag: colon > lastSlash ? ref.slice(colon + 1) : undefined, digest };
}

function envFiles(service: Service): string[] {
  const f = service.env_file;
  if (!f) return [];
  return Array.isArray(f) ? f : [f];
}

// -------------------------------------------------------------------- tests ----

describe('docker-compose.temporal.yml', () => {
  let config: ComposeConfig;
  let services: Record<string, Service>;
  let workers: Record<QueueKey, Service>;

  beforeAll(() => {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployment-test-'));
    emptyEnvFile = path.join(tmpDir, 'empty.env');
    fs.writeFileSync(emptyEnvFile, '');

    const check = compose(['config', '-q']);
    if (check.status !== 0) {
      throw new Error(`docker-compose.temporal.yml is invalid (docker-compose config -q exited ${check.status}):\n${check.stderr}`);
    }
    config = composeConfig();
    services = config.services;
    workers = Object.fromEntries(ALL_QUEUE_KEYS.map((k) => [k, services[workerService(k)]])) as Record<QueueKey, Service>;
  });

  afterAll(() => {
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  test('has one worker service per task queue in workflows/queues.ts, each serving exactly its queue', () => {
    for (const key of ALL_QUEUE_KEYS) {
      const name = workerService(key);
      expect({ service: name, exists: name in services }).toEqual({ service: name, exists: true });
      expect({ service: name, queues: queuesServed(services[name]) }).toEqual({ service: name, queues: [key] });
    }
    // No other service runs a worker (a stray one would double-serve a queue, e.g. execution).
    const others = Object.entries(services)
      .filter(([name, s]) => queuesServed(s) !== undefined && !ALL_QUEUE_KEYS.some((k) => workerService(k) === name))
      .map(([name]) => name);
    expect(others).toEqual([]);
  });

  test('the execution worker is never scaled above one replica', () => {
    const exec = workers.execution;
    // deploy.replicas is what Compose v2 and Swarm read; `scale` what v1 reads; container_name makes
    // `--scale worker-execution=2` fail, since two containers cannot share a name.
    expect(exec.deploy?.replicas).toBe(1);
    if (exec.scale !== undefined) expect(exec.scale).toBeLessThanOrEqual(1);
    expect(exec.container_name).toEqual(expect.any(String));
    // (Activity concurrency per process, 1 for execution, is CONCURRENCY in workers/activitiesByQueue.ts.)
  });

  test('the llm worker starts as a single replica and Ollama serves few prompts at once', () => {
    // Per-process concurrency is CONCURRENCY.llm in workers/activitiesByQueue.ts; the stack adds no replicas.
    expect(workers.llm.deploy?.replicas ?? 1).toBe(1);
    expect(workers.llm.scale ?? 1).toBe(1);
    expect(Number(envOf(services.ollama).OLLAMA_NUM_PARALLEL)).toBeLessThanOrEqual(2);
  });

  test('every worker has DATABASE_URL on app-db (PostgreSQL) and TEMPORAL_ADDRESS on the temporal service', () => {
    for (const key of ALL_QUEUE_KEYS) {
      const env = envOf(workers[key]);
      const where = workerService(key);
      expect({ where, DATABASE_URL: env.DATABASE_URL }).toEqual({
        where,
        DATABASE_URL: expect.stringMatching(/^postgres(ql)?:\/\/[^@]+@app-db(:\d+)?\//),
      });
      expect({ where, TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS }).toEqual({ where, TEMPORAL_ADDRESS: 'temporal:7233' });
      expect({ where, TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE }).toEqual({ where, TEMPORAL_NAMESPACE: expect.any(String) });
    }
    for (const oneShot of ['migrate', 'portfolio']) {
      expect(envOf(services[oneShot]).DATABASE_URL).toBe(envOf(workers.persistence).DATABASE_URL);
      expect(envOf(services[oneShot]).TEMPORAL_ADDRESS).toBe('temporal:7233');
    }
  });

  test('the app and Temporal have separate PostgreSQL services with their own named volumes', () => {
    const volumeOf = (name: string): string | undefined => {
      const v = (services[name].volumes ?? []).find((x) =>
        (typeof x === 'string' ? x.split(':')[1] : x.target) === '/var/lib/postgresql/data',
      );
      return typeof v === 'string' ? v.split(':')[0] : v?.source;
    };
    for (const db of ['app-db', 'temporal-db']) {
      expect(services[db].image).toMatch(/^postgres:/);
      expect(services[db].healthcheck?.test).toBeDefined();
      expect(Object.keys(config.volumes ?? {})).toContain(volumeOf(db));
    }
    expect(volumeOf('app-db')).not.toBe(volumeOf('temporal-db'));
    expect(envOf(services.temporal).POSTGRES_SEEDS).toBe('temporal-db');
  });

  test('migrations run once against app-db before any worker starts; workers wait for a healthy Temporal', () => {
    const migrate = services.migrate;
    expect(commandOf(migrate)).toEqual(['npm', 'run', 'db:migrate']);
    expect(dependsOn(migrate)['app-db']?.condition).toBe('service_healthy');
    for (const key of ALL_QUEUE_KEYS) {
      const deps = dependsOn(workers[key]);
      expect({ worker: key, migrate: deps.migrate?.condition, temporal: deps.temporal?.condition }).toEqual({
        worker: key,
        migrate: 'service_completed_successfully',
        temporal: 'service_healthy',
      });
      expect(workers[key].healthcheck?.test).toBeDefined();
    }
    expect(services.temporal.healthcheck?.test).toBeDefined();
  });

  test('the portfolio one-shot starts the default portfolio once Temporal and the workflow worker are up', () => {
    const portfolio = services.portfolio;
    const cmd = commandOf(portfolio);
    expect(cmd[0]).toBe('npx');
    expect(cmd.slice(-2)).toEqual(['tradectl', 'start']);
    expect(dependsOn(portfolio).temporal?.condition).toBe('service_healthy');
    expect(dependsOn(portfolio)[workerService('workflows')]?.condition).toBe('service_healthy');
  });

  test('Prometheus mounts deploy/prometheus/prometheus.yml and its alert rules, and scrapes every worker on both metrics ports', () => {
    const mounts = (services.prometheus.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    expect(mounts).toContainEqual(expect.stringMatching(/deploy\/prometheus\/prometheus\.yml:\/etc\/prometheus\/prometheus\.yml/));
    expect(mounts).toContainEqual(expect.stringMatching(/deploy\/prometheus\/alerts\.yml:\/etc\/prometheus\/alerts\.yml/));

    const prom = parseYaml(fs.readFileSync(PROMETHEUS_FILE, 'utf8')) as {
      scrape_configs: Array<{
        job_name: string;
        static_configs?: Array<{ targets: string[] }>;
        dns_sd_configs?: Array<{ names: string[]; type?: string; port?: number }>;
      }>;
    };
    const jobNames = prom.scrape_configs.map((j) => j.job_name);
    expect(new Set(jobNames).size).toBe(jobNames.length);
    const targetsOf = (job: (typeof prom.scrape_configs)[number]): string[] => [
      ...(job.static_configs ?? []).flatMap((s) => s.targets),
      ...(job.dns_sd_configs ?? []).flatMap((d) => d.names.map((n) => `${n}:${d.port}`)),
    ];

    for (const key of ALL_QUEUE_KEYS) {
      const name = workerService(key);
      const env = envOf(workers[key]);
      const ports = [
        Number(env.METRICS_PORT ?? DEFAULT_METRICS_PORT),
        Number(env.TEMPORAL_METRICS_PORT ?? DEFAULT_TEMPORAL_METRICS_PORT),
      ];
      for (const port of ports) {
        const jobs = prom.scrape_configs.filter((j) => targetsOf(j).includes(`${name}:${port}`));
        expect({ target: `${name}:${port}`, jobs: jobs.length }).toEqual({ target: `${name}:${port}`, jobs: 1 });
        // Job names carry the queue, so a dashboard can group by queue.
        expect(jobs[0].job_name).toContain(TASK_QUEUES[key]);
      }
    }
  });

  test('every worker binds metrics and health to 0.0.0.0 explicitly and its health check asks /health/ready', () => {
    for (const key of ALL_QUEUE_KEYS) {
      const where = workerService(key);
      expect({ where, bind: envOf(workers[key]).METRICS_BIND_ADDRESS }).toEqual({ where, bind: '0.0.0.0' });
      expect({ where, check: JSON.stringify(workers[key].healthcheck?.test) }).toEqual({ where, check: expect.stringContaining('/health/ready') });
      // Worker metrics stay on the project network: published, they would show equity and positions to the host's network.
      expect({ where, ports: workers[key].ports ?? [] }).toEqual({ where, ports: [] });
    }
  });

  test('Prometheus sends to Alertmanager, and Grafana gets the provisioned datasource and dashboard', () => {
    const mountsOf = (name: string) => (services[name].volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    const prom = parseYaml(fs.readFileSync(PROMETHEUS_FILE, 'utf8')) as { rule_files: string[]; alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] } };
    expect(prom.rule_files).toEqual(['alerts.yml']);
    expect(prom.alerting.alertmanagers[0].static_configs[0].targets).toEqual(['alertmanager:9093']);
    expect(services.alertmanager.image).toMatch(/^prom\/alertmanager:v/);
    expect(mountsOf('alertmanager')).toContainEqual(expect.stringMatching(/deploy\/alertmanager\/alertmanager\.yml:\/etc\/alertmanager\/alertmanager\.yml/));
    expect(services.grafana.image).toMatch(/^grafana\/grafana:\d/);
    expect(mountsOf('grafana')).toContainEqual(expect.stringMatching(/deploy\/grafana\/provisioning:\/etc\/grafana\/provisioning/));
    expect(mountsOf('grafana')).toContainEqual(expect.stringMatching(/deploy\/grafana\/dashboards:\/etc\/grafana\/dashboards/));
    const provider = parseYaml(fs.readFileSync(path.join(ROOT, 'deploy/grafana/provisioning/dashboards/trader.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
    expect(provider.providers[0].options.path).toBe('/etc/grafana/dashboards');
    const datasource = parseYaml(fs.readFileSync(path.join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: { uid: string; url: string }[] };
    expect(datasource.datasources[0]).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090' });
    const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/dashboards/trader.json'), 'utf8')) as { panels: { type: string; datasource?: { uid: string } }[] };
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) expect(panel.datasource?.uid).toBe('prometheus');
    expect(dependsOn(services.grafana).prometheus?.condition).toBe('service_healthy');
    for (const name of ['grafana', 'alertmanager']) expect({ name, published: portMappings(services[name]).length }).toEqual({ name, published: 1 });
  });

  test('no secret-looking variable has a literal value; dev database passwords come from variables with defaults', () => {
    // Read the file as written (before interpolation), anchors merged, extension fields included.
    const raw = parseYaml(fs.readFileSync(COMPOSE_FILE, 'utf8')) as Record<string, unknown> & ComposeConfig;
    const blocks: Array<[string, Service]> = [
      ...Object.entries(raw.services),
      ...Object.entries(raw)
        .filter(([k, v]) => k.startsWith('x-') && v && typeof v === 'object')
        .map(([k, v]) => [k, { environment: v as Env }] as [string, Service]),
    ];
    const problems: string[] = [];
    const defaults: Record<string, Set<string>> = {};
    const checkRef = (where: string, value: string): void => {
      const m = DEV_PASSWORD_REF.exec(value);
      if (!m) {
        problems.push(`${where}: must be \${${DEV_DB_PASSWORD_VARS.join('|')}:-default}, got a literal or another variable`);
        return;
      }
      (defaults[m[1]] ??= new Set()).add(m[2]);
    };
    for (const [name, svc] of blocks) {
      for (const [k, v] of Object.entries(envOf(svc))) {
        const value = v === null || v === undefined ? '' : String(v);
        // A *_FILE variable naming a Docker secret's mount holds a path, not a secret.
        if (SECRET_NAME.test(k) && !(k.endsWith('_FILE') && value.startsWith('/run/secrets/'))) checkRef(`${name}.environment.${k}`, value);
        const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:([^@]*)@/i.exec(value);
        if (userinfo) checkRef(`${name}.environment.${k} (password in URL)`, userinfo[1]);
      }
    }
    expect(problems).toEqual([]);
    // Each password has one default, so the database and its clients agree when nothing is set.
    for (const [variable, values] of Object.entries(defaults)) {
      expect({ variable, defaults: [...values] }).toEqual({ variable, defaults: [expect.any(String)] });
    }
    expect(Object.keys(defaults).sort()).toEqual([...DEV_DB_PASSWORD_VARS].sort());
  });

  test('exchange keys reach only the execution worker, through an env_file in an override', () => {
    // As committed: no service has an env_file except possibly worker-execution, and no exchange variable.
    for (const [name, svc] of Object.entries(services)) {
      if (name !== workerService('execution')) expect({ name, env_file: envFiles(svc) }).toEqual({ name, env_file: [] });
      expect({ name, exchangeVars: Object.keys(envOf(svc)).filter((k) => k.startsWith('EXCHANGE_')) }).toEqual({ name, exchangeVars: [] });
    }

    // The override documented in the compose header gives them to worker-execution alone.
    const keysFile = path.join(tmpDir, 'exchange.env');
    fs.writeFileSync(keysFile, 'EXCHANGE_API_KEY=test-not-a-key\nEXCHANGE_SECRET=test-not-a-secret\n');
    const override = path.join(tmpDir, 'docker-compose.live.yml');
    fs.writeFileSync(override, `services:\n  ${workerService('execution')}:\n    env_file: [${JSON.stringify(keysFile)}]\n`);
    const live = composeConfig([override]).services;
    expect(envOf(live[workerService('execution')]).EXCHANGE_API_KEY).toBe('test-not-a-key');
    const leaked = Object.entries(live)
      .filter(([name, s]) => name !== workerService('execution') && Object.keys(envOf(s)).some((k) => k.startsWith('EXCHANGE_')))
      .map(([name]) => name);
    expect(leaked).toEqual([]);
  });

  test('every image is pinned to a tag other than latest', () => {
    for (const [name, svc] of Object.entries(services)) {
      expect({ name, image: svc.image }).toEqual({ name, image: expect.any(String) });
      const { tag, digest } = imageTag(svc.image as string);
      expect({ name, pinned: Boolean(digest) || (tag !== undefined && tag !== 'latest') }).toEqual({ name, pinned: true });
    }
  });

  test('the cockpit runs on its own, on app-db and Temporal, published on loopback, and needs its token secret to start', () => {
    const dashboard = services.dashboard;
    expect(commandOf(dashboard)).toEqual(['npm', 'run', 'dashboard']);
    const env = envOf(dashboard);
    expect(env.DATABASE_URL).toBe(envOf(workers.persistence).DATABASE_URL);
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(dependsOn(dashboard).migrate?.condition).toBe('service_completed_successfully');
    expect(dependsOn(dashboard).temporal?.condition).toBe('service_healthy');
    expect(portMappings(dashboard)).toEqual([{ published: 8080, target: 8080 }]);
    expect(String(dashboard.ports?.[0])).toMatch(/^127\.0\.0\.1:/);
    expect(dashboard.healthcheck?.test).toBeDefined();
    // The token is a Docker secret mounted where DASHBOARD_TOKEN_FILE points; the file itself stays out of git.
    expect(env.DASHBOARD_TOKEN_FILE).toBe('/run/secrets/dashboard_token');
    expect((dashboard as { secrets?: Array<string | { source: string }> }).secrets?.map((x) => (typeof x === 'string' ? x : x.source))).toEqual(['dashboard_token']);
    // With these settings the cockpit refuses to start without the secret and starts with it (dashboard/settings.ts).
    const settings = { ...env, DASHBOARD_TOKEN_FILE: undefined } as NodeJS.ProcessEnv;
    expect(() => dashboardSettings(settings)).toThrow(/DASHBOARD_HOST=0.0.0.0 is not a loopback address/);
    const tokenFile = path.join(tmpDir, 'dashboard-token');
    fs.writeFileSync(tokenFile, 'a-token-of-32-hex-characters-0000\n');
    expect(dashboardSettings({ ...settings, DASHBOARD_TOKEN_FILE: tokenFile }).host).toBe('0.0.0.0');
  });

  test('the Temporal Web UI is published on 8233, like the dev server', () => {
    const ui = Object.entries(services).filter(([, s]) => s.image?.startsWith('temporalio/ui:'));
    expect(ui).toHaveLength(1);
    expect(portMappings(ui[0][1])).toContainEqual({ published: 8233, target: 8080 });
    expect(portMappings(services.temporal)).toContainEqual({ published: 7233, target: 7233 });
  });

  test('Ollama and the admin tools are optional (profiles), so the default stack does not need them', () => {
    expect(services.ollama.profiles).toEqual(['llm']);
    expect(services.ollama.image).toMatch(/^ollama\/ollama:/);
    expect(services['temporal-admin-tools'].profiles?.length).toBeGreaterThan(0);
    // A default-profile service depending on a profiled one would make `up` fail without --profile.
    for (const [name, svc] of Object.entries(services)) {
      if (svc.profiles?.length) continue;
      for (const dep of Object.keys(dependsOn(svc))) {
        expect({ name, dep, profiled: Boolean(services[dep]?.profiles?.length) }).toEqual({ name, dep, profiled: false });
      }
    }
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = fs.readFileSync(DOCKERFILE, 'utf8');
  const lines = dockerfile.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  test('builds on node:20-bookworm-slim, installs with npm ci after copying .npmrc, runs the worker', () => {
    expect(lines[0]).toMatch(/^FROM node:20[\w.-]*-bookworm-slim\b/);
    const copyNpmrc = lines.findIndex((l) => /^COPY\b.*\.npmrc/.test(l));
    const npmCi = lines.findIndex((l) => /^RUN\b.*\bnpm ci\b/.test(l));
    expect(copyNpmrc).toBeGreaterThanOrEqual(0);
    expect(npmCi).toBeGreaterThan(copyNpmrc);
    expect(lines.filter((l) => l.startsWith('CMD')).pop()).toBe('CMD ["npm", "run", "worker"]');
  });

  test('.dockerignore keeps local state, virtualenvs, generated code and secrets out of the build context', () => {
    const entries = fs.readFileSync(DOCKERIGNORE, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const required of ['node_modules', 'data', '.tools', '.venv', 'models/.venv', 'prisma/generated', '.env', 'secrets']) {
      expect(entries).toContain(required);
    }
  });
});
