import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/services.js';

const ADMIN_KEY = 'admin-key-for-maintenance-tests-0123456789';
const admin = { 'x-api-key': ADMIN_KEY };

describe('admin API: jobs and backups', () => {
  let t: TestApp;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admin-jobs-'));

  beforeAll(async () => {
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY, DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`, BACKUP_DIR: join(dir, 'backups'), REPORTS_DIR: join(dir, 'reports') });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const problem = (res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, code: string) => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status, code });
  };

  it('needs an admin', async () => {
    problem(await t.app.inject({ method: 'GET', url: '/api/v1/admin/jobs' }), 401, 'unauthenticated');
    problem(await t.app.inject({ method: 'POST', url: '/api/v1/admin/backups' }), 401, 'unauthenticated');
  });

  it('lists every job with its schedule and next run', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/jobs', headers: admin });
    expect(res.statusCode).toBe(200);
    const jobs = res.json<{ jobs: { name: string; schedule: string | null; next_run: string | null; timezone: string }[] }>().jobs;
    expect(jobs.map((j) => j.name)).toEqual(['cleanup-tokens', 'cleanup-refresh-tokens', 'retention-security-events', 'retention-job-runs', 'retention-metric-aggregates', 'backup', 'backup-prune', 'report-daily', 'report-weekly']);
    expect(jobs[0]).toMatchObject({ schedule: '0 2 * * *', timezone: 'UTC', next_run: expect.stringMatching(/T02:00:00\.000Z$/) });
  });

  it('runs a job, records it, emits ADMIN_ACTION and counts it in the metrics', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/admin/jobs/cleanup-tokens/run', headers: admin, payload: {} });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ job: 'cleanup-tokens', trigger: 'manual', status: 'succeeded', stats: { total: 0, deleted: 0 } });
    expect(t.events).toContainEqual(expect.objectContaining({ type: 'ADMIN_ACTION', details: { action: 'job_run', target: 'cleanup-tokens', actor: 'api_key:ADMIN_API_KEY' } }));
    const dry = await t.app.inject({ method: 'POST', url: '/api/v1/admin/jobs/report-daily/run', headers: admin, payload: { dry_run: true } });
    expect(dry.json()).toMatchObject({ status: 'dry_run', stats: { dry_run: true } });
    const history = await t.app.inject({ method: 'GET', url: '/api/v1/admin/jobs/cleanup-tokens/runs?limit=5', headers: admin });
    expect(history.json<{ runs: unknown[] }>().runs).toHaveLength(1);
    const metrics = await t.services.metrics!.scrape();
    expect(metrics).toMatch(/vigil_job_last_success_timestamp_seconds\{job="cleanup-tokens"\} \d+/);
    expect(metrics).toContain('vigil_job_duration_seconds_count{job="cleanup-tokens",status="succeeded"} 1');
    expect(metrics).toContain('vigil_job_failures_total{job="backup"} 0');
  });

  it('writes the daily report as Markdown and JSON and hands it to onReport listeners', async () => {
    const seen: string[] = [];
    t.services.maintenance.onReport.push((r) => void seen.push(r.report.kind));
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/admin/jobs/report-daily/run', headers: admin });
    expect(res.statusCode, res.body).toBe(200);
    const stats = res.json<{ stats: { json: string; markdown: string; listeners: number } }>().stats;
    expect(stats.json).toMatch(/reports\/daily-\d{4}-\d{2}-\d{2}\.json$/);
    expect(stats.listeners).toBe(1);
    expect(seen).toEqual(['daily']);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(stats.markdown, 'utf8')).toContain('# Vigil Daily maintenance report');
    expect(JSON.parse(readFileSync(stats.json, 'utf8'))).toMatchObject({ kind: 'daily', security: { failed_logins: 0 }, jobs: expect.any(Array) });
  });

  it('creates, lists and verifies backups; ADMIN_ACTION for the creation', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/admin/backups', headers: admin });
    expect(created.statusCode, created.body).toBe(201);
    const file = created.json<{ file: string }>().file;
    expect(t.events).toContainEqual(expect.objectContaining({ type: 'ADMIN_ACTION', details: expect.objectContaining({ action: 'backup_create' }) }));
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/admin/backups', headers: admin });
    expect(list.json<{ backups: { file: string }[] }>().backups.map((b) => b.file)).toContain(file);
    const verified = await t.app.inject({ method: 'POST', url: `/api/v1/admin/backups/${file}/verify`, headers: admin });
    expect(verified.json()).toMatchObject({ ok: true, file });
  });

  it('bad input is a problem+json 4xx, never a 500', async () => {
    problem(await t.app.inject({ method: 'POST', url: '/api/v1/admin/jobs/no-such-job/run', headers: admin }), 400, 'validation_failed');
    problem(await t.app.inject({ method: 'POST', url: '/api/v1/admin/jobs/cleanup-tokens/run', headers: admin, payload: { dry_run: 'yes' } }), 400, 'validation_failed');
    problem(await t.app.inject({ method: 'POST', url: '/api/v1/admin/jobs/cleanup-tokens/run', headers: admin, payload: { extra: 1 } }), 400, 'validation_failed');
    problem(await t.app.inject({ method: 'GET', url: '/api/v1/admin/jobs/cleanup-tokens/runs?limit=0', headers: admin }), 400, 'validation_failed');
    problem(await t.app.inject({ method: 'GET', url: '/api/v1/admin/jobs/cleanup-tokens/runs?limit=abc', headers: admin }), 400, 'validation_failed');
    problem(await t.app.inject({ method: 'POST', url: '/api/v1/admin/backups/..%2F..%2Fetc%2Fpasswd/verify', headers: admin }), 400, 'validation_failed');
    problem(await t.app.inject({ method: 'POST', url: '/api/v1/admin/backups/vigil-sqlite-20200101T000000000Z.db.gz/verify', headers: admin }), 404, 'not_found');
    problem(await t.app.inject({ method: 'POST', url: '/api/v1/admin/backups', headers: { ...admin, 'content-type': 'application/json' }, payload: '{"x":' }), 400, 'malformed_request');
  });

  it('409 job_busy while another instance holds the lease', async () => {
    await t.services.maintenance.leases.acquire('job:backup-prune', 'other-instance', Date.now(), 60_000);
    try {
      problem(await t.app.inject({ method: 'POST', url: '/api/v1/admin/jobs/backup-prune/run', headers: admin }), 409, 'job_busy');
    } finally {
      await t.services.maintenance.leases.release('job:backup-prune', 'other-instance');
    }
  });
});
