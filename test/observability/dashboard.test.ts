import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardQueries, metricNames, variableQueries } from './dashboard-queries.js';
import { queryableNames, scrape, warmedUpApp } from '../support/metrics.js';
import type { TestApp } from '../support/services.js';

describe('metricNames', () => {
  it('reads metric names out of PromQL, histogram suffixes included', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, route) (rate(vigil_http_request_duration_seconds_bucket{job=~"$job", route!="x"}[$__rate_interval])))')).toEqual([
      'vigil_http_request_duration_seconds_bucket',
    ]);
    expect(metricNames('sum(rate(a_total{status=~"5.."}[5m])) / sum without (x) (rate(b_total[5m])) and on (job) c offset 5m')).toEqual(['a_total', 'b_total', 'c']);
    expect(metricNames('max by (state) (vigil_token_blacklist_entries)')).toEqual(['vigil_token_blacklist_entries']);
  });
});

describe('Grafana dashboard (deploy/grafana/vigil-dashboard.json)', () => {
  let t: TestApp;
  let exposed: Set<string>;
  beforeAll(async () => {
    t = await warmedUpApp();
    exposed = queryableNames(await scrape(t.app));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every metric a panel or a variable queries exists in Vigil’s exposition', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(15);
    const used = new Set<string>();
    for (const { panel, expr } of queries) {
      const names = metricNames(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        expect(exposed.has(name), `${panel}: ${name} is not in /metrics`).toBe(true);
        used.add(name);
      }
    }
    for (const q of variableQueries()) {
      const name = /^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(q)?.[1];
      expect(name && exposed.has(name), q).toBe(true);
    }
    // What the issue asks the dashboard to show.
    for (const name of [
      'vigil_http_requests_total',
      'vigil_http_request_duration_seconds_bucket',
      'vigil_auth_attempts_total',
      'vigil_rate_limit_exceeded_total',
      'vigil_blocked_ips',
      'vigil_token_blacklist_entries',
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(used, name).toContain(name);
    }
  });

  it('latency panels ask for p50, p95 and p99 of the request histogram', () => {
    const latency = dashboardQueries().filter((q) => q.expr.includes('vigil_http_request_duration_seconds_bucket'));
    for (const p of ['0.50', '0.95', '0.99']) expect(latency.some((q) => q.expr.startsWith(`histogram_quantile(${p},`)), p).toBe(true);
  });
});
