/**
 * The alert rules and the monitoring configuration, checked by the tools that run them (Debian's `prometheus`
 * and `prometheus-alertmanager` packages; .ci/run installs them, and a missing tool fails this test rather than
 * skipping it): `promtool check rules`, `promtool test rules` (deploy/prometheus/alerts.test.yml: every rule firing
 * where it should and quiet where it should not), `promtool check config` and `amtool check-config`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';

const DEPLOY = path.resolve(__dirname, '../../deploy');

function run(tool: string, args: string[], cwd = DEPLOY): string {
  const result = spawnSync(tool, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${tool} is not installed: .ci/run installs Debian's prometheus and prometheus-alertmanager packages`);
  }
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${result.status}:\n${output}`);
  return output;
}

type Rules = { groups: { rules: { alert: string }[] }[] };
type RuleTests = { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };

describe('alert rules', () => {
  it('parse: promtool check rules', () => {
    expect(run('promtool', ['check', 'rules', 'prometheus/alerts.yml'])).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests, and every rule has a case that fires and one that stays quiet', () => {
    expect(run('promtool', ['test', 'rules', 'alerts.test.yml'], path.join(DEPLOY, 'prometheus'))).toMatch(/SUCCESS/);
    const rules = (loadYaml(fs.readFileSync(path.join(DEPLOY, 'prometheus/alerts.yml'), 'utf8')) as Rules).groups.flatMap((g) => g.rules.map((r) => r.alert));
    const cases = (loadYaml(fs.readFileSync(path.join(DEPLOY, 'prometheus/alerts.test.yml'), 'utf8')) as RuleTests).tests.flatMap((t) => t.alert_rule_test);
    const coverage = rules.map((alert) => ({
      alert,
      fires: cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0),
      quiet: cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0),
    }));
    expect(coverage).toEqual(rules.map((alert) => ({ alert, fires: true, quiet: true })));
  });

  it('the Prometheus and Alertmanager configurations are valid', () => {
    expect(run('promtool', ['check', 'config', 'prometheus/prometheus.yml'])).toMatch(/SUCCESS/);
    expect(run('amtool', ['check-config', 'alertmanager/alertmanager.yml'])).toMatch(/SUCCESS/);
  });
});
