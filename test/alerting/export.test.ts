import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SIGNAL_PROMQL } from '../../src/alerting/export/promql.js';
import { WEBHOOK_PLACEHOLDER } from '../../src/alerting/export/receivers.js';
import { receiversFor } from '../../src/alerting/routing.js';
import { DEFAULT_RULES } from '../../src/alerting/rules/default-pack.js';
import type { Env } from '../../src/config/index.js';
import { VARS } from '../../src/config/schema.js';
import { json, servicesFor, tempWorkspace, vigil } from '../cli/harness.js';
import { runAmtool, runPromtool } from '../support/tools.js';
import { EXPORT_CASES, type FiringCase, type QuietCase } from './export-cases.js';
import { signalInfo } from './support.js';

/**
 * The default rules `vigil alerts export` leaves out, each with why (also in the rules file's
 * header comment and docs/operations.md#export). The test fails unless these are exactly the
 * rules missing from the export.
 */
const NOT_EXPORTED: Record<string, string> = {
  HighMemoryUsage: 'memory_usage_percent: the memory limit (cgroup, else machine) is not a Vigil metric',
  SuspiciousLoginActivity: 'failed_logins_per_ip: metrics never carry a client address',
  BruteForceAttackDetected: 'brute_force_detections: security events are counted by type only, without detector kind or address',
  NotificationsDeadLettered: "notifications_dead_lettered: no metric counts Vigil's outbox",
};

const SECRETS: Env = {
  ALERT_WEBHOOK_URL: 'https://hooks.example.com/services/T0001/B0002/webhookToken0123456789',
  ALERT_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/slackSecretToken42xyz',
  ALERT_PAGERDUTY_ROUTING_KEY: 'pd-routing-key-0123456789abcdef',
  SMTP_PASSWORD: 'smtp-password-never-written',
};
const EXTERNAL_URL = 'https://vigil.example.com';
const ROUTES = 'severity=critical:pagerduty,slack;category=security&severity!=info:slack,webhook;*:webhook,email';

interface ExportJson {
  files: { rules: string; alertmanager: string };
  exported: string[];
  skipped: { name: string; signal: string; reason: string }[];
  receivers: string[];
  secret_files: { receiver: string; path: string; from: string }[];
  webhook_url: 'written' | 'placeholder' | null;
}
interface PromRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function tool(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error; // not installed: under VIGIL_TEST_REQUIRE_SERVICES=1 a failure
  return { status: r.status, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** `{{ $value }}` and `{{ $labels.x }}` as Prometheus expands them in a firing alert. */
const expand = (text: string, labels: Record<string, string>, value: string) =>
  text.replace(/\{\{\s*\$value\s*\}\}/g, value).replace(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_m, name: string) => labels[name] ?? '');

/** One promtool test (own input series) expecting the rule's alerts at evalTime. */
function promtoolTest(rule: PromRule, c: FiringCase | QuietCase, fires: boolean) {
  const expected = fires
    ? [
        {
          exp_labels: { ...rule.labels, ...(c as FiringCase).labels },
          exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expand(v, (c as FiringCase).labels, (c as FiringCase).value)])),
        },
      ]
    : [];
  return {
    interval: c.interval ?? '1m',
    input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
    alert_rule_test: [{ eval_time: c.evalTime, alertname: rule.alert, exp_alerts: expected }],
  };
}

const rulesOf = (text: string): PromRule[] => (parse(text) as { groups: { rules: PromRule[] }[] }).groups.flatMap((g) => g.rules);

describe('vigil alerts export', () => {
  const ws = tempWorkspace();
  const env: Env = {
    ...ws.env,
    ...SECRETS,
    ALERT_EMAIL_ENABLED: 'true',
    SMTP_HOST: 'smtp.example.com',
    SMTP_USER: 'alerts',
    ALERT_EMAIL_FROM: 'vigil@example.com',
    ALERT_EMAIL_TO: 'oncall@example.com,security@example.com',
    ALERT_EXTERNAL_URL: EXTERNAL_URL,
    ALERT_ROUTES: ROUTES,
    MAINTENANCE_WINDOWS: 'sun 02:00-04:00,sat 23:00-01:00',
  };
  const out = join(ws.dir, 'export');
  let result: ExportJson;
  let rulesText: string;
  let amText: string;

  beforeAll(async () => {
    expect((await vigil(['migrate'], env, ws.dir)).code).toBe(0);
    const r = await vigil(['alerts', 'export', '--dir', 'export', '--json'], env, ws.dir);
    expect(r.code, r.stderr).toBe(0);
    result = json<ExportJson>(r);
    rulesText = readFileSync(result.files.rules, 'utf8');
    amText = readFileSync(result.files.alertmanager, 'utf8');
  });
  afterAll(() => ws.remove());

  it('leaves out exactly the allow-listed rules, each named with its reason at the top of the rules file', () => {
    const names = DEFAULT_RULES.map((r) => r.name);
    expect(result.exported).toEqual(rulesOf(rulesText).map((r) => r.alert));
    expect(names.filter((n) => !result.exported.includes(n)).sort()).toEqual(Object.keys(NOT_EXPORTED).sort());
    expect(result.skipped.map((s) => s.name).sort()).toEqual(Object.keys(NOT_EXPORTED).sort());
    const header = rulesText.slice(0, rulesText.indexOf('groups:'));
    for (const s of result.skipped) {
      expect(NOT_EXPORTED[s.name]).toContain(s.signal);
      expect(header).toContain(`# - ${s.name} (${s.signal}): ${s.reason}`);
    }
    const docs = readFileSync('docs/operations.md', 'utf8');
    const section = docs.slice(docs.indexOf('### Export'), docs.indexOf('\n## ', docs.indexOf('### Export')));
    for (const name of Object.keys(NOT_EXPORTED)) expect(section).toContain(`\`${name}\``);
  });

  it('has a translation or a reason for every signal, and exports the rules with their names, for, labels and annotations', () => {
    expect(Object.keys(SIGNAL_PROMQL).sort()).toEqual(signalInfo().map((s) => s.name).sort());
    const exported = new Map(rulesOf(rulesText).map((r) => [r.alert, r]));
    for (const spec of DEFAULT_RULES.filter((r) => exported.has(r.name))) {
      const rule = exported.get(spec.name)!;
      expect(rule.for ?? '0s').toBe(spec.for);
      expect(rule.labels).toEqual({ severity: spec.severity, category: spec.category });
      expect(rule.annotations).toEqual({ summary: spec.summary, description: spec.description, runbook_url: `${EXTERNAL_URL}/runbooks/${spec.runbook}` });
    }
    expect(exported.get('HighErrorRate')!.expr).toBe('sum by (job) (rate(vigil_http_requests_total{status=~"5.."}[5m])) / sum by (job) (rate(vigil_http_requests_total[5m])) > 0.05');
    expect(exported.get('SLOBurnRateFast')!.expr).toContain('/ 0.001 > 14.4 and (');
  });

  it('writes no secret configured in the environment; secrets are *_file paths, the tokened webhook URL a placeholder', () => {
    const secretVars = Object.values(VARS).filter((v) => v.secret === true).map((v) => v.env);
    const configured = secretVars.filter((name) => (env[name] ?? '').length > 0);
    expect(configured).toEqual(expect.arrayContaining(Object.keys(SECRETS)));
    for (const name of configured) {
      expect(rulesText, name).not.toContain(env[name]);
      expect(amText, name).not.toContain(env[name]);
    }
    expect(result.webhook_url).toBe('placeholder');
    expect(result.secret_files.map((f) => [f.receiver, f.path, f.from])).toEqual([
      ['slack', '/etc/alertmanager/secrets/slack_api_url', 'ALERT_SLACK_WEBHOOK_URL'],
      ['email', '/etc/alertmanager/secrets/smtp_password', 'SMTP_PASSWORD'],
      ['pagerduty', '/etc/alertmanager/secrets/pagerduty_routing_key', 'ALERT_PAGERDUTY_ROUTING_KEY'],
    ]);
    const am = parse(amText) as { receivers: { name: string; [kind: string]: unknown }[] };
    const first = (name: string, kind: string) => (am.receivers.find((r) => r.name === name)?.[kind] as Record<string, unknown>[] | undefined)?.[0];
    expect(first('webhook', 'webhook_configs')?.url).toBe(WEBHOOK_PLACEHOLDER);
    expect(first('slack', 'slack_configs')?.api_url_file).toBe('/etc/alertmanager/secrets/slack_api_url');
    expect(first('pagerduty', 'pagerduty_configs')?.routing_key_file).toBe('/etc/alertmanager/secrets/pagerduty_routing_key');
    expect(first('email', 'email_configs')).toMatchObject({ auth_username: 'alerts', auth_password_file: '/etc/alertmanager/secrets/smtp_password', smarthost: 'smtp.example.com:587', to: 'oncall@example.com, security@example.com' });
  });

  it('a webhook URL without a credential is written as is, and the text output says which was done', async () => {
    const plain = 'http://alert-receiver.internal:9000/hook';
    const r = await vigil(['alerts', 'export', '--dir', 'plain', '--secrets-dir', '/run/secrets'], { ...ws.env, ALERT_WEBHOOK_URL: plain }, ws.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ALERT_WEBHOOK_URL carries no credential and is written as is');
    expect(r.stdout).toContain("Not exported (no equivalent over Vigil's metrics):\n  HighMemoryUsage (memory_usage_percent): ");
    expect(readFileSync(join(ws.dir, 'plain/alertmanager.yml'), 'utf8')).toContain(`url: ${plain}`);
    const tokened = await vigil(['alerts', 'export', '--dir', 'tokened'], env, ws.dir);
    expect(tokened.stdout).toContain(`the config holds the placeholder ${WEBHOOK_PLACEHOLDER}`);
    expect(tokened.stdout).toContain('/etc/alertmanager/secrets/slack_api_url: the value of ALERT_SLACK_WEBHOOK_URL');
    expect((await vigil(['alerts', 'export'], env, ws.dir)).code).toBe(2);
  });

  it('follows ALERT_RULES_FILE: overrides, disabled and added rules; an added rule without equivalent is listed', async () => {
    const file = join(ws.dir, 'rules.yml');
    writeFileSync(
      file,
      [
        'rules:',
        '  - { name: HighErrorRate, condition: "http_5xx_ratio[10m] > 0.2", for: 1m, labels: { team: auth } }',
        '  - { name: BackupTooOld, enabled: false }',
        '  - { name: TooManyRequests, condition: "http_requests_per_second[5m] > 500", for: 10m, severity: info, category: performance, summary: Busy, description: "{{ $value }} requests/s" }',
        '  - { name: AccountUnderAttack, condition: "failed_logins_per_user[1h] > 20", severity: warning, category: security, summary: Attack }',
      ].join('\n'),
    );
    const r = await vigil(['alerts', 'export', '--dir', 'custom', '--json'], { ...ws.env, ALERT_RULES_FILE: file }, ws.dir);
    expect(r.code, r.stderr).toBe(0);
    const custom = json<ExportJson>(r);
    const rules = new Map(rulesOf(readFileSync(custom.files.rules, 'utf8')).map((x) => [x.alert, x]));
    expect(rules.get('HighErrorRate')).toMatchObject({ for: '1m', labels: { severity: 'critical', category: 'availability', team: 'auth' } });
    expect(rules.get('HighErrorRate')!.expr).toMatch(/\[10m\]\)\) > 0\.2$/);
    expect(rules.has('BackupTooOld')).toBe(false);
    expect(rules.get('TooManyRequests')).toMatchObject({ expr: 'sum by (job) (rate(vigil_http_requests_total[5m])) > 500', for: '10m' });
    expect(custom.skipped.map((s) => s.name).sort()).toEqual([...Object.keys(NOT_EXPORTED), 'AccountUnderAttack'].sort());
    expect(custom.skipped.find((s) => s.name === 'AccountUnderAttack')!.reason).toContain('user id');
    if (runPromtool) expect(tool('promtool', ['check', 'rules', custom.files.rules]).status).toBe(0);
  });

  describe.runIf(runPromtool)('promtool', () => {
    it('check rules accepts the rule file', () => {
      const r = tool('promtool', ['check', 'rules', result.files.rules]);
      expect(r.status, r.output).toBe(0);
      expect(r.output).toContain(`SUCCESS: ${result.exported.length} rules found`);
    });

    it('test rules: series make each exported default rule fire, and others leave it quiet', () => {
      const rules = rulesOf(rulesText);
      expect(Object.keys(EXPORT_CASES).sort()).toEqual(rules.map((r) => r.alert).sort());
      const tests = rules.flatMap((rule) => [promtoolTest(rule, EXPORT_CASES[rule.alert]!.fires, true), promtoolTest(rule, EXPORT_CASES[rule.alert]!.quiet, false)]);
      // One file per sample interval, evaluated at that interval (the 6-hour SLO cases every 5 minutes).
      const files = [...new Set(tests.map((t) => t.interval))].map((interval) => {
        const file = join(out, `vigil-rules.${interval}.test.yml`);
        writeFileSync(file, JSON.stringify({ rule_files: ['vigil-rules.yml'], evaluation_interval: interval, tests: tests.filter((t) => t.interval === interval) }, null, 2));
        return file;
      });
      expect(files.length).toBe(2);
      const r = tool('promtool', ['test', 'rules', ...files]);
      expect(r.status, r.output).toBe(0);
      expect(r.output.match(/SUCCESS/g)).toHaveLength(2);
    }, 60_000);
  });

  describe.runIf(runAmtool)('amtool', () => {
    it('check-config accepts the Alertmanager config with webhook, slack, email and pagerduty receivers', () => {
      const r = tool('amtool', ['check-config', result.files.alertmanager]);
      expect(r.status, r.output).toBe(0);
      expect(result.receivers).toEqual(['webhook', 'slack', 'email', 'pagerduty']);
      expect(r.output).toMatch(/- 5 receivers/);
      expect(r.output).toMatch(/- 5 inhibit rules/);
    });

    it('routes each alert to the receivers Vigil would (once each)', async () => {
      const services = await servicesFor(env);
      const routes = services.alerting!.routes;
      await services.close();
      const alerts = [
        { alertname: 'HighErrorRate', severity: 'critical', category: 'availability' },
        { alertname: 'ManyBlockedIPs', severity: 'warning', category: 'security' },
        { alertname: 'BruteForceAttackDetected', severity: 'critical', category: 'security' },
        { alertname: 'HighClientErrorRate', severity: 'info', category: 'security' },
        { alertname: 'RedisUnavailable', severity: 'warning', category: 'availability' },
      ];
      for (const labels of alerts) {
        const r = tool('amtool', ['config', 'routes', 'test', `--config.file=${result.files.alertmanager}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
        expect(r.status, r.output).toBe(0);
        const got = r.stdout.trim().split(',').map((s) => s.trim()).sort();
        expect(got, JSON.stringify(labels)).toEqual(receiversFor(routes, labels).sort());
      }
    });
  });
});
