import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardQueries } from './dashboard-queries.js';
import { scrape, warmedUpApp } from '../support/metrics.js';
import type { TestApp } from '../support/services.js';
import { runPromtool } from '../support/tools.js';

/**
 * The promtool allow-list: findings of `promtool check metrics` that are accepted, each with its
 * reason (also in docs/operations.md#metrics). Anything else fails the test.
 *
 * - prom-client's default Node.js metrics `nodejs_active_handles_total`, `nodejs_active_requests_total`
 *   and `nodejs_active_resources_total` are gauges whose names end in `_total`. They keep the names
 *   every Node.js dashboard and alert already uses; Vigil's own metrics have no finding.
 */
const PROMTOOL_ALLOWED = [
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
];

function promtool(args: string[], input?: string) {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8' });
  if (r.error) throw r.error; // not installed: in CI (VIGIL_TEST_REQUIRE_SERVICES=1) that is a failure
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe.runIf(runPromtool)('promtool', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    t = await warmedUpApp();
    dir = mkdtempSync(join(tmpdir(), 'vigil-promtool-'));
  });
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('check metrics: a warmed-up /metrics has no finding outside the allow-list', async () => {
    const text = await scrape(t.app);
    // The warm-up reached every kind of series the lint looks at.
    for (const s of ['vigil_http_requests_total{method="POST",route="/api/v1/auth/login",status="429"}', 'vigil_auth_attempts_total{method="password",result="failure"} 1', 'vigil_rate_limit_exceeded_total{limit_type="route"} 1', 'vigil_rate_limit_exceeded_total{limit_type="ip"} 1', 'vigil_blocked_ips 1']) {
      expect(text).toContain(s);
    }
    const { status, output } = promtool(['check', 'metrics'], text);
    const findings = output.split('\n').map((l) => l.trim()).filter(Boolean);
    expect(findings.filter((f) => !PROMTOOL_ALLOWED.includes(f)), output).toEqual([]);
    // 0: clean; 3: lint findings only (all allowed, as checked above). Anything else is a parse error.
    expect([0, 3], output).toContain(status);
  });

  it('check config: deploy/prometheus/prometheus.yml is valid and scrapes /metrics', () => {
    const { status, output } = promtool(['check', 'config', 'deploy/prometheus/prometheus.yml']);
    expect(status, output).toBe(0);
    expect(readFileSync('deploy/prometheus/prometheus.yml', 'utf8')).toMatch(/metrics_path: \/metrics/);
  });

  it('every PromQL query of the Grafana dashboard parses (as recording rules: check rules)', () => {
    const queries = dashboardQueries();
    // Grafana's variables, as Grafana would fill them in.
    const promql = (q: string) => q.replaceAll('$__rate_interval', '1m').replaceAll('$job', 'vigil').replaceAll('$instance', '.+');
    const rules = { groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: promql(q.expr) })) }] };
    const file = join(dir, 'dashboard-rules.yml');
    writeFileSync(file, JSON.stringify(rules, null, 2)); // JSON is YAML
    const { status, output } = promtool(['check', 'rules', file]);
    expect(status, output).toBe(0);
    expect(output).toContain(`${queries.length} rules found`);
  });
});
