import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { Env } from '../../src/config/index.js';
import { retentionJob } from '../../src/jobs/retention.js';
import type { Services } from '../../src/services.js';
import { cliBackends, json, servicesFor, vigil } from '../cli/harness.js';

const DAY = 86_400_000;
const EXPIRED = 23;
const ACTIVE = 7;

const backends = cliBackends();

const count = async (db: Kysely<unknown>, table: string, where = sql`1 = 1`) =>
  Number((await sql<{ n: string | number }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(db)).rows[0]!.n);

for (const backend of backends) {
  describe.skipIf(!backend.enabled)(`cleanup on ${backend.name}`, () => {
    let env: Env;
    let cwd: string;
    let drop: () => Promise<void>;
    let services: Services;
    let db: Kysely<unknown>;
    const now = Date.now();
    const oldest = now - 40 * DAY;

    beforeAll(async () => {
      ({ env, cwd, drop } = await backend.open());
      // Small batches so the delete takes several statements.
      env = { ...env, CLEANUP_BATCH_SIZE: '5', CLEANUP_BATCH_PAUSE: '0', JOBS_ENABLED: 'false' };
      expect((await vigil(['migrate'], env, cwd)).code).toBe(0);
      services = await servicesFor(env);
      db = services.database.db as unknown as Kysely<unknown>;
      const rows = [
        ...Array.from({ length: EXPIRED }, (_, i) => ({ jti: `expired-${i}`, user_id: null, expires_at: i === 0 ? oldest : now - DAY - i * 1000, reason: 'logout', created_at: oldest - DAY })),
        ...Array.from({ length: ACTIVE }, (_, i) => ({ jti: `active-${i}`, user_id: null, expires_at: now + DAY + i, reason: 'logout', created_at: now })),
      ];
      await services.database.db.insertInto('token_blacklist').values(rows).execute();
    }, 60_000);
    afterAll(async () => {
      await services?.close();
      await drop?.();
    });

    it('--stats-only prints the seed statistics exactly and deletes nothing', async () => {
      const r = await vigil(['cleanup', 'tokens', '--stats-only'], env, cwd);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(
        [
          'Token Blacklist Statistics:',
          `  Total tokens: ${EXPIRED + ACTIVE}`,
          `  Active (not expired): ${ACTIVE}`,
          `  Expired: ${EXPIRED}`,
          '  Expired percentage: 76.7%',
          `  Oldest expired: ${new Date(oldest).toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
          '',
        ].join('\n'),
      );
      expect(await count(db, 'token_blacklist')).toBe(EXPIRED + ACTIVE);
      expect(await count(db, 'job_runs')).toBe(0);
    });

    it('--dry-run deletes nothing and records a dry_run', async () => {
      const r = await vigil(['cleanup', 'tokens', '--dry-run'], env, cwd);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Dry run: would delete ${EXPIRED} expired tokens (nothing deleted).`);
      expect(r.stdout).not.toContain('Successfully deleted');
      expect(await count(db, 'token_blacklist')).toBe(EXPIRED + ACTIVE);
      const history = json<{ status: string; stats: { would_delete: number; deleted: number } }[]>(await vigil(['jobs', 'history', 'cleanup-tokens', '--json'], env, cwd));
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ status: 'dry_run', stats: { would_delete: EXPIRED, deleted: 0 } });
    });

    it('deletes exactly the expired entries, in batches, and prints the seed lines', async () => {
      const r = await vigil(['cleanup', 'tokens'], env, cwd);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n')).toEqual([
        'Starting token blacklist cleanup...',
        'Token Blacklist Statistics:',
        `  Total tokens: ${EXPIRED + ACTIVE}`,
        `  Active (not expired): ${ACTIVE}`,
        `  Expired: ${EXPIRED}`,
        '  Expired percentage: 76.7%',
        `  Oldest expired: ${new Date(oldest).toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
        `Successfully deleted ${EXPIRED} expired tokens from blacklist`,
        `Cleanup complete. Removed ${EXPIRED} expired tokens.`,
        '',
      ]);
      const left = (await services.database.db.selectFrom('token_blacklist').select('jti').orderBy('jti').execute()).map((x) => x.jti);
      expect(left).toEqual(Array.from({ length: ACTIVE }, (_, i) => `active-${i}`));
      const [last] = json<{ status: string; trigger: string; stats: Record<string, unknown> }[]>(await vigil(['jobs', 'history', 'cleanup-tokens', '--json', '--limit', '1'], env, cwd));
      expect(last).toMatchObject({ status: 'succeeded', trigger: 'manual', stats: { total: EXPIRED + ACTIVE, active: ACTIVE, expired: EXPIRED, expired_percent: 76.7, oldest_expired: oldest, deleted: EXPIRED } });
    });

    it('is idempotent: a second run deletes nothing', async () => {
      const r = await vigil(['cleanup', 'tokens', '--json'], env, cwd);
      expect(r.code, r.stderr).toBe(0);
      expect(json<{ stats: { deleted: number; expired: number } }>(r).stats).toMatchObject({ deleted: 0, expired: 0 });
      expect(await count(db, 'token_blacklist')).toBe(ACTIVE);
    });

    it('cleanup-refresh-tokens deletes expired and long-revoked tokens only', async () => {
      await services.database.db.insertInto('users').values({ id: 'u-clean', email: 'clean@example.com', name: null, password_hash: 'x', role: 'user', created_at: now, updated_at: now, password_changed_at: now, last_login_at: null, disabled_at: null, locked_until: null }).execute();
      const token = (id: string, family: string, expires_at: number, revoked_at: number | null) => ({
        id, token_hash: `h-${id}`, user_id: 'u-clean', family_id: family, parent_id: null, created_at: now - 50 * DAY, expires_at, rotated_at: null, revoked_at, revoke_reason: revoked_at ? 'logout' : null, ip: null, user_agent: null,
      });
      await services.database.db.insertInto('refresh_tokens').values([
        token('expired', 'f1', now - DAY, null),
        token('old-revoked', 'f2', now + DAY, now - 31 * DAY),
        token('recent-revoked', 'f3', now + DAY, now - DAY),
        token('live', 'f4', now + DAY, null),
      ]).execute();
      const dry = await vigil(['jobs', 'run', 'cleanup-refresh-tokens', '--dry-run', '--json'], env, cwd);
      expect(json<{ stats: { would_delete: number } }>(dry).stats.would_delete).toBe(2);
      expect(await count(db, 'refresh_tokens')).toBe(4);
      const r = await vigil(['jobs', 'run', 'cleanup-refresh-tokens', '--json'], env, cwd);
      expect(r.code, r.stderr).toBe(0);
      expect(json<{ stats: Record<string, number> }>(r).stats).toMatchObject({ total: 4, families: 4, deleted: 2, families_deleted: 2 });
      const left = (await services.database.db.selectFrom('refresh_tokens').select('id').orderBy('id').execute()).map((x) => x.id);
      expect(left).toEqual(['live', 'recent-revoked']);
    });

    it('retention deletes rows older than the retention, and skips a table that does not exist', async () => {
      const event = (time: number, type: string) => ({ time, type, severity: 'info', ip: null, user_id: null, request_id: null, details: '{}' });
      await services.database.db.insertInto('security_events').values([event(now - 91 * DAY, 'OLD'), event(now - 89 * DAY, 'KEEP'), event(now, 'KEEP')]).execute();
      const before = await count(db, 'security_events');
      const r = await vigil(['jobs', 'run', 'retention-security-events', '--json'], env, cwd);
      expect(r.code, r.stderr).toBe(0);
      expect(json<{ stats: { deleted: number } }>(r).stats.deleted).toBe(1);
      expect(await count(db, 'security_events')).toBe(before - 1);
      expect(await count(db, 'security_events', sql`type = 'OLD'`)).toBe(0);

      // The per-minute aggregates table (migration 005) when it is there.
      await sql`insert into slo_minutes (minute, instance, requests, errors_5xx, errors_4xx, slow_500, slow_1000, login_success, login_failure, registrations, registration_attempts, token_success, token_failure)
                values (${now - 91 * DAY}, 'a', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), (${now - DAY}, 'a', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)`.execute(db);
      const agg = await vigil(['jobs', 'run', 'retention-metric-aggregates', '--json'], env, cwd);
      expect(json<{ stats: { tables: unknown[] } }>(agg).stats.tables).toEqual([
        expect.objectContaining({ table: 'slo_minutes', rolled_up_days: 1, deleted: 1 }),
        expect.objectContaining({ table: 'slo_days', retention_days: 400, deleted: 0 }),
      ]);
      expect(await count(db, 'slo_minutes')).toBe(1);
      expect(await count(db, 'slo_days')).toBe(1); // the old minute's day, summed (test/jobs/slo-rollup.test.ts)

      const job = retentionJob({ name: 'retention-metric-aggregates', description: '', db, dialect: services.database.dialect, batchSize: 10, pauseMs: 0, targets: [{ table: 'no_such_table', column: 'minute', days: 1, optional: true }] });
      const stats = await job.run({ now, dryRun: false, signal: new AbortController().signal, log: services.log('test'), progress: () => undefined });
      expect(stats).toEqual({ tables: [{ table: 'no_such_table', missing: true, deleted: 0 }], deleted: 0 });
    });
  });
}
