import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { createJobRunner } from '../../src/jobs/runner.js';
import type { Job } from '../../src/jobs/types.js';
import { checkAborted, pause } from '../../src/jobs/types.js';
import { createJobRunRepository } from '../../src/storage/repositories/job-runs.js';
import { createLeaseRepository } from '../../src/storage/repositories/leases.js';
import type { MaintenanceDB } from '../../src/storage/schema-maintenance.js';
import { makeTestApp, type TestApp } from '../support/services.js';

/** A job that works in 50 ms steps until it is told to stop (or finishes after `steps`). */
const slowJob = (timeoutMs: number, steps = 1000): Job => ({
  name: 'cleanup-tokens',
  description: 'test',
  timeoutMs,
  async run(ctx) {
    let done = 0;
    for (; done < steps; done++) {
      checkAborted(ctx.signal);
      await pause(50, ctx.signal);
    }
    return { done };
  },
});

describe('job runner', () => {
  let t: TestApp;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-runner-'));
  beforeAll(async () => {
    t = await makeTestApp({ DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`, BACKUP_DIR: join(dir, 'backups') });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const repos = () => {
    const db = t.services.database.db as unknown as Kysely<MaintenanceDB>;
    return { runs: createJobRunRepository(db), leases: createLeaseRepository(db) };
  };
  const runner = (instanceId: string, leaseTtlMs = 60_000) => createJobRunner({ ...repos(), clock: { now: () => Date.now() }, instanceId, leaseTtlMs, metrics: t.services.metrics, log: t.services.log('test') });

  it('a run past its timeout is stopped at its next step and recorded as failed', async () => {
    const outcome = await runner('a').run(slowJob(300), { trigger: 'manual' });
    expect(outcome.status).toBe('failed');
    if (outcome.status !== 'failed') return;
    expect(outcome.run.error).toBe('timed out after 0 s');
    expect(outcome.run.finished_at! - outcome.run.started_at).toBeLessThan(1500);
    expect(await t.services.metrics!.scrape()).toContain('vigil_job_failures_total{job="cleanup-tokens"} 1');
    // The lease is free again.
    expect(await repos().leases.acquire('job:cleanup-tokens', 'b', Date.now(), 1000)).toBe(true);
    await repos().leases.release('job:cleanup-tokens', 'b');
  });

  it('one holder at a time: a second runner is skipped while the first runs; the same tick runs once', async () => {
    const first = runner('a').run(slowJob(10_000, 6), { trigger: 'schedule', tick: 1_000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(await runner('b').run(slowJob(10_000, 1), { trigger: 'schedule', tick: 1_000 })).toEqual({ status: 'skipped', reason: 'lease_held' });
    expect((await first).status).toBe('succeeded');
    expect(await runner('b').run(slowJob(10_000, 1), { trigger: 'schedule', tick: 1_000 })).toEqual({ status: 'skipped', reason: 'already_ran' });
    const history = await repos().runs.history('cleanup-tokens', 10);
    expect(history.filter((r) => r.tick === 1_000)).toHaveLength(1);
  });

  it('a run whose lease is taken over (it expired) is aborted', async () => {
    const ttl = 600;
    const outcome = runner('a', ttl).run(slowJob(10_000, 100), { trigger: 'manual' });
    await new Promise((r) => setTimeout(r, 100));
    // Another instance steals the lease (as if a's renewals had stopped and it expired).
    const db = t.services.database.db as unknown as Kysely<MaintenanceDB>;
    await db.updateTable('job_leases').set({ holder: 'thief', expires_at: Date.now() + 60_000 }).where('name', '=', 'job:cleanup-tokens').execute();
    const result = await outcome;
    expect(result.status).toBe('failed');
    if (result.status === 'failed') expect(result.run.error).toMatch(/lease was lost/);
    await repos().leases.release('job:cleanup-tokens', 'thief');
  });

  it('the backup job writes a backup and verifies it', async () => {
    const outcome = await t.services.maintenance.run('backup', {});
    expect(outcome.status).toBe('succeeded');
    if (outcome.status !== 'succeeded') return;
    expect(outcome.run.stats).toMatchObject({ file: expect.stringMatching(/^vigil-sqlite-\d{8}T\d{9}Z\.db\.gz$/), verified: true });
    expect(await t.services.metrics!.scrape()).toMatch(/vigil_job_last_success_timestamp_seconds\{job="backup"\} \d+/);
  });
});
