import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SloTotals } from '../../src/alerting/ports.js';
import { DEFAULT_SLO_TARGETS } from '../../src/config/alerting-parsers.js';
import { sloKpis } from '../../src/incidents/slo.js';
import { manualClock } from '../../src/shared/clock.js';
import { httpSink } from '../alerting/http-sink.js';
import { json, vigil } from '../cli/harness.js';
import { STRONG_PASSWORD, TEST_ENV } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

const ADMIN_KEY = 'admin-key-for-slo-tests-0123456789abcdef';
const admin = { 'x-api-key': ADMIN_KEY };
const ZERO: SloTotals = { minutes: 0, requests: 0, errors_5xx: 0, errors_4xx: 0, slow_500: 0, slow_1000: 0, login_success: 0, login_failure: 0, registrations: 0, registration_attempts: 0, token_success: 0, token_failure: 0 };
type Kpi = ReturnType<typeof sloKpis>[number];
const byName = (kpis: Kpi[]) => Object.fromEntries(kpis.map((k) => [k.name, k]));

describe('SLO arithmetic', () => {
  it('compliance and error budget per KPI', () => {
    const k = byName(sloKpis({ ...ZERO, minutes: 10, requests: 10_000, errors_5xx: 5, slow_500: 600, slow_1000: 50, login_success: 97, login_failure: 3, registrations: 19, registration_attempts: 20, token_success: 1000, token_failure: 0 }, DEFAULT_SLO_TARGETS));
    // 99.95% available against 99.9%: half the 10 allowed errors spent.
    expect(k.availability).toMatchObject({ actual: 99.95, compliant: true, error_budget_remaining: 0.5, good: 9995, total: 10_000 });
    expect(k.error_rate).toMatchObject({ objective: '<=', target: 0.1, actual: 0.05, compliant: true, error_budget_remaining: 0.5 });
    // 6% slower than 500 ms against 5% allowed: overspent by a fifth.
    expect(k.latency_p95).toMatchObject({ actual: 94, compliant: false, error_budget_remaining: -0.2 });
    expect(k.latency_p99).toMatchObject({ actual: 99.5, compliant: true, error_budget_remaining: 0.5 });
    expect(k.login_success).toMatchObject({ actual: 97, compliant: false, error_budget_remaining: -0.5 });
    expect(k.failed_login_rate).toMatchObject({ actual: 3, compliant: false });
    expect(k.registration_success).toMatchObject({ actual: 95, compliant: true, error_budget_remaining: 0 });
    expect(k.token_validation_success).toMatchObject({ actual: 100, compliant: true, error_budget_remaining: 1 });
  });

  it('no traffic: no verdict and a whole budget; a latency target the aggregates do not record has no data', () => {
    for (const k of sloKpis(ZERO, DEFAULT_SLO_TARGETS)) expect(k).toMatchObject({ actual: null, compliant: null, error_budget_remaining: 1 });
    const k = byName(sloKpis({ ...ZERO, requests: 100 }, { ...DEFAULT_SLO_TARGETS, p95_ms: 300 }));
    expect(k.latency_p95).toMatchObject({ actual: null, total: 0 });
    expect(k.latency_p95!.description).toContain('not recorded');
  });
});

describe('per-minute aggregates, the report, the API and the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-'));
  const env = { ADMIN_API_KEY: ADMIN_KEY, DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`, REPORTS_DIR: join(dir, 'reports') };
  // Two days back on an hour boundary: `vigil slo report` below runs on the real clock, so its
  // 35-day window must hold these minutes whatever the date the suite runs on.
  const start = Math.floor((Date.now() - 2 * 86_400_000) / 3_600_000) * 3_600_000;
  let t: TestApp | undefined;
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records each evaluation interval into its minute and reports it; the aggregates survive a restart', async () => {
    const clock = manualClock(start);
    t = await makeTestApp(env, { clock });
    const { app, services } = t;
    const reg = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'kpi@example.com', password: STRONG_PASSWORD } });
    expect(reg.statusCode).toBe(201);
    for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'kpi@example.com', password: 'wrong-password-123' } });
    const ok = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'kpi@example.com', password: STRONG_PASSWORD } });
    const token = (ok.json() as { access_token: string }).access_token;
    for (let i = 0; i < 5; i++) await app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    // Token validations: API-key checks and refreshes (access JWTs are not counted one by one).
    for (let i = 0; i < 5; i++) await app.inject({ url: '/api/v1/admin/alerts', headers: admin });
    clock.advance(15_000);
    await services.alerting!.tick();
    // A second interval in the next minute, with nothing new but the health probe.
    clock.advance(60_000);
    await app.inject({ url: '/health' });
    await services.alerting!.tick();

    const rows = await services.database.db.selectFrom('slo_minutes' as never).selectAll().execute() as unknown as { minute: number; requests: number }[];
    expect(rows.map((r) => Number(r.minute)).sort()).toEqual([start, start + 60_000]);

    const res = await app.inject({ url: '/api/v1/admin/slo?window=1d', headers: admin });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { minutes_recorded: number; window_seconds: number; kpis: Kpi[] };
    expect(body).toMatchObject({ minutes_recorded: 2, window_seconds: 86_400 });
    const k = byName(body.kpis);
    expect(k.login_success).toMatchObject({ good: 1, total: 4, actual: 25, compliant: false });
    expect(k.failed_login_rate).toMatchObject({ actual: 75, compliant: false });
    expect(k.registration_success).toMatchObject({ good: 1, total: 1, compliant: true });
    expect(k.availability).toMatchObject({ compliant: true, error_budget_remaining: 1 });
    expect(k.availability!.total).toBeGreaterThanOrEqual(11);
    expect(k.token_validation_success!.good).toBeGreaterThanOrEqual(5);
    await t.close();

    // A new process on the same file: the same report, without any new traffic.
    const later = manualClock(start + 120_000);
    t = await makeTestApp(env, { clock: later });
    const again = await t.app.inject({ url: '/api/v1/admin/slo?window=1d', headers: admin });
    expect(byName((again.json() as { kpis: Kpi[] }).kpis).login_success).toMatchObject({ good: 1, total: 4 });
    // Outside the window: nothing.
    later.advance(2 * 3_600_000);
    const outside = await t.app.inject({ url: '/api/v1/admin/slo?window=1h', headers: admin });
    expect((outside.json() as { minutes_recorded: number }).minutes_recorded).toBe(0);
    await t.close();
    t = undefined;
  });

  it('vigil slo report reads the same aggregates (table and --json); a bad --window is a usage error', async () => {
    const cliEnv = { ...TEST_ENV, ...env };
    const text = await vigil(['slo', 'report', '--window', '35d'], cliEnv, dir);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/login_success\s+>= 98%\s+25%\s+VIOLATED/);
    const out = await vigil(['slo', 'report', '--window', '35d', '--json'], cliEnv, dir);
    expect(out.code).toBe(0);
    expect(byName(json<{ kpis: Kpi[] }>(out).kpis).login_success).toMatchObject({ good: 1, total: 4 });
    const bad = await vigil(['slo', 'report', '--window', '91d'], cliEnv, dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('1h to 90d');
  });

  it('a bad window is a 400 problem+json; without admin rights a 401', async () => {
    t = await makeTestApp(env);
    for (const w of ['forever', '91d', '1m']) {
      const res = await t.app.inject({ url: `/api/v1/admin/slo?window=${w}`, headers: admin });
      expect(res.statusCode, w).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await t.app.inject({ url: '/api/v1/admin/slo' })).statusCode).toBe(401);
    await t.close();
    t = undefined;
  });
});

describe('weekly info digest', () => {
  let sink: Awaited<ReturnType<typeof httpSink>>;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-digest-'));
  beforeAll(async () => {
    sink = await httpSink();
  });
  afterAll(async () => {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('report-weekly sends registrations, active users, cleanup runs, API usage trend and incidents to ALERT_DIGEST_RECEIVER', async () => {
    const clock = manualClock(Date.parse('2026-11-09T09:00:00Z'));
    const t = await makeTestApp({ DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`, REPORTS_DIR: join(dir, 'reports'), BACKUP_DIR: join(dir, 'backups'), ALERT_WEBHOOK_URL: `${sink.url}/digest`, ALERT_DIGEST_RECEIVER: 'webhook' }, { clock });
    try {
      const { app, services } = t;
      for (const email of ['a@example.com', 'b@example.com']) {
        await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: STRONG_PASSWORD } });
        await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: STRONG_PASSWORD } });
      }
      await services.slo.record(clock.now() - 8 * 86_400_000, { requests: 10, errors5xx: 0, errors4xx: 0, slow500: 0, slow1000: 0, registrations: 0, registrationAttempts: 0, loginSuccess: 0, loginFailure: 0, tokenSuccess: 0, tokenFailure: 0 });
      await services.slo.record(clock.now() - 86_400_000, { requests: 15, errors5xx: 0, errors4xx: 0, slow500: 0, slow1000: 0, registrations: 0, registrationAttempts: 0, loginSuccess: 0, loginFailure: 0, tokenSuccess: 0, tokenFailure: 0 });
      expect((await services.maintenance.run('cleanup-tokens', { dryRun: false })).status).toBe('succeeded');
      clock.advance(60_000);
      await services.securityEvents.store.flush();
      const run = await services.maintenance.run('report-weekly', { dryRun: false });
      expect(run.status).toBe('succeeded');
      await services.alerting!.outbox.drain();
      const got = sink.received.find((r) => r.path === '/digest');
      expect(got).toBeDefined();
      const body = got!.body as { commonLabels: Record<string, string>; commonAnnotations: Record<string, string> };
      expect(body.commonLabels).toMatchObject({ alertname: 'VigilWeeklyDigest', severity: 'info' });
      const text = body.commonAnnotations.description!;
      expect(text).toContain('Registrations: 2');
      expect(text).toContain('Active users: 2');
      expect(text).toContain('API requests: 15, +50% on the week before (10)');
      expect(text).toContain('Incidents opened: 0; open now: 0');
      expect(text).toMatch(/cleanup-tokens 1\/1 runs ok, 0 rows deleted/);
    } finally {
      await t.close();
    }
  });

  it('a digest receiver that is not configured stops the start with its name', async () => {
    await expect(makeTestApp({ ALERT_WEBHOOK_URL: `${sink.url}/x`, ALERT_DIGEST_RECEIVER: 'pagerduty' })).rejects.toThrow(/ALERT_DIGEST_RECEIVER.*pagerduty/);
  });
});
