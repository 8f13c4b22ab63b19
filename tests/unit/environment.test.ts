/**
 * One environment schema (domain/environment.ts): each process checks its environment at start and names every bad
 * variable at once; the readers parse through it; the README's environment table lists exactly its variables.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { load as loadYaml } from 'js-yaml';
import { checkEnvironment, envValue, EnvironmentError, ENVIRONMENT, ENVIRONMENT_PREFIXES, environmentProblems } from '../../domain/environment';
import { readExchangeSettings } from '../../activities/execution/exchangeSettings';
import { dashboardSettings } from '../../dashboard/settings';

const ROOT = path.resolve(__dirname, '../..');

/** The variables the README's environment table names: `A`, `B[_FILE]` (B and B_FILE), `P_<X>_*` (a prefix). */
function readmeVariables(): { names: Set<string>; prefixes: Set<string>; fileForms: Set<string> } {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('Environment (read by processes');
  const table = readme.slice(start, readme.indexOf('\n###', start)).split('\n').filter((l) => l.startsWith('| `'));
  const names = new Set<string>();
  const prefixes = new Set<string>();
  const fileForms = new Set<string>();
  for (const row of table) {
    for (const [, cell] of row.split('|')[1].matchAll(/`([^`]+)`/g)) {
      const prefix = /^([A-Z_]+_)<[A-Z]+>_\*$/.exec(cell);
      if (prefix) { prefixes.add(prefix[1]); continue; }
      const name = cell.replace(/\[_FILE\]$/, '');
      if (name !== cell) fileForms.add(name);
      names.add(name);
    }
  }
  return { names, prefixes, fileForms };
}

describe('the environment schema', () => {
  it("is the README's environment table, variable for variable", () => {
    const readme = readmeVariables();
    expect([...readme.names].sort()).toEqual(Object.keys(ENVIRONMENT).sort());
    expect([...readme.prefixes].sort()).toEqual(Object.keys(ENVIRONMENT_PREFIXES).sort());
    const fromFile = Object.entries(ENVIRONMENT).filter(([, v]) => 'fromFile' in v && v.fromFile).map(([k]) => k);
    expect([...readme.fileForms].sort()).toEqual(fromFile.sort());
  });

  it('names every bad variable of a process in one error, and only those the process reads', () => {
    const env = {
      METRICS_PORT: 'abc', EXCHANGE_SANDBOX: 'maybe', TRADER_LIVE_TRADING: 'yes', DASHBOARD_PORT: '99999', SYMBOLS: 'BTC/USDT,btc',
      EXCHANGE_API_KEY: 'k', EXCHANGE_API_KEY_FILE: '/run/secrets/key', TEMPORAL_ADDRESS: '127.0.0.1:7233',
    };
    expect(() => checkEnvironment(env, 'worker')).toThrow(EnvironmentError);
    expect(environmentProblems(env, 'worker')).toEqual([
      "METRICS_PORT must be a port number (0-65535), got 'abc'",
      "TRADER_LIVE_TRADING must be 'i-accept-real-money-risk' to allow live orders, or unset, got 'yes'",
      'EXCHANGE_API_KEY and EXCHANGE_API_KEY_FILE are both set: set only one of them',
      "EXCHANGE_SANDBOX must be true or false, got 'maybe'",
    ]);
    expect(() => checkEnvironment(env, 'worker')).toThrow(/^bad environment: METRICS_PORT must be .*; EXCHANGE_SANDBOX must be true or false, got 'maybe'$/);
    expect(environmentProblems(env, 'dashboard')).toEqual(["DASHBOARD_PORT must be a port number (0-65535), got '99999'"]);
    expect(environmentProblems(env, 'start')).toContain("SYMBOLS must be symbols BASE/QUOTE separated by commas (e.g. BTC/USDT,ETH/USDT), got 'btc'");
    expect(() => checkEnvironment({ METRICS_PORT: '9464', DASHBOARD_PUBLIC_READ: 'true', EXCHANGE_REST_URL: 'http://127.0.0.1:9/' }, 'start')).not.toThrow();
  });

  it('parses each value by the same rule wherever it is read', () => {
    expect(envValue('EXCHANGE_REST_URL', { EXCHANGE_REST_URL: 'http://127.0.0.1:9/' })).toBe('http://127.0.0.1:9');
    expect(envValue('DASHBOARD_PUBLIC_READ', { DASHBOARD_PUBLIC_READ: 'YES' })).toBe(true);
    expect(envValue('SYMBOLS', { SYMBOLS: 'BTC/USDT, ETH/USDT' })).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(envValue('METRICS_PORT', { METRICS_PORT: '' })).toBeUndefined();
    for (const host of ['http://ollama:11434', '127.0.0.1:11434', ':11434']) expect(envValue('OLLAMA_HOST', { OLLAMA_HOST: host })).toBe(host);
    expect(() => envValue('OLLAMA_HOST', { OLLAMA_HOST: 'ftp://x' })).toThrow("OLLAMA_HOST must be an http(s) URL such as http://127.0.0.1:11434, got 'ftp://x'");
    // The exchange worker and the cockpit refuse the same bad value with the same words.
    expect(() => readExchangeSettings('binance', { EXCHANGE_PRICE_BAND: '2' })).toThrow("EXCHANGE_PRICE_BAND must be a fraction in (0, 0.5], e.g. 0.05 for 5%, got '2'");
    expect(() => dashboardSettings({ DASHBOARD_REFRESH_MS: '10' })).toThrow("DASHBOARD_REFRESH_MS must be at least 250 (ms), got '10'");
  });

  it("passes the deployment's own environment (docker-compose.temporal.yml, defaults substituted)", () => {
    const compose = loadYaml(fs.readFileSync(path.join(ROOT, 'docker-compose.temporal.yml'), 'utf8')) as { services: Record<string, { environment?: Record<string, unknown> }> };
    const checked: string[] = [];
    for (const [service, { environment }] of Object.entries(compose.services)) {
      if (!environment) continue;
      const env = Object.fromEntries(Object.entries(environment)
        .filter(([name]) => name in ENVIRONMENT)
        .map(([name, value]) => [name, String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
      if (Object.keys(env).length === 0) continue;
      checked.push(service);
      for (const process of ['worker', 'start', 'dashboard', 'cli'] as const) expect(`${service}: ${environmentProblems(env, process).join('; ')}`).toBe(`${service}: `);
    }
    expect(checked.length).toBeGreaterThan(5);
  });

  it('tradectl refuses to start on a bad environment, naming each bad variable', () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tradectl.js'), 'status'], {
      cwd: ROOT, encoding: 'utf8', timeout: 60_000,
      env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: 'not an address', EXCHANGE_PRICE_BAND: 'lots' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      "tradectl: bad environment: TEMPORAL_ADDRESS must be host:port (e.g. 127.0.0.1:7233), got 'not an address'; EXCHANGE_PRICE_BAND must be a fraction in (0, 0.5], e.g. 0.05 for 5%, got 'lots'",
    );
  });
});
