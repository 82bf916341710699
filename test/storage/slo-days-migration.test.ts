import { Migrator, sql, type Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricAggregatesJob } from '../../src/jobs/metric-aggregates.js';
import { MIGRATIONS, MIGRATION_TABLE } from '../../src/storage/migrations/index.js';
import * as m008 from '../../src/storage/migrations/008_slo_days.js';
import { migrateToLatest, type Database } from '../../src/storage/index.js';
import { BACKENDS } from '../support/backends.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`migration 008 (slo_days) on ${backend.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    const db = () => database.db as unknown as Kysely<any>;
    const run = () =>
      metricAggregatesJob({ db: db(), dialect: database.dialect, batchSize: 100, pauseMs: 0, minuteDays: 35, dayDays: 400 })
        .run({ now: NOW, dryRun: false, signal: new AbortController().signal, log: pino({ level: 'silent' }), progress: () => undefined });
    beforeAll(async () => {
      ({ database, drop } = await backend.open());
    });
    afterAll(async () => {
      await database.close();
      await drop();
    });

    it('minutes written before it are moved into days once it applies; down drops the table (the job then reports it missing); up again', async () => {
      const upTo007 = Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => name < '008'));
      const migrator = new Migrator({ db: db(), provider: { getMigrations: async () => upTo007 }, migrationTableName: MIGRATION_TABLE, migrationLockTableName: `${MIGRATION_TABLE}_lock` });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      await sql`insert into slo_minutes (minute, instance, requests, errors_5xx, errors_4xx, slow_500, slow_1000, login_success, login_failure, registrations, registration_attempts, token_success, token_failure, le_5ms)
                values (${NOW - 40 * DAY}, 'a', 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 6), (${NOW - 40 * DAY + 60_000}, 'a', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3)`.execute(db());
      expect(await migrateToLatest(database.db)).toEqual(['008_slo_days']);
      expect(await db().selectFrom('slo_days').selectAll().execute()).toEqual([]);

      expect((await run()).deleted).toBe(2);
      const day = await db().selectFrom('slo_days').selectAll().executeTakeFirstOrThrow();
      expect(Object.fromEntries(Object.entries(day).map(([k, v]) => [k, k === 'instance' ? v : Number(v)]))).toEqual({
        day: Date.parse('2026-10-11T00:00:00Z'), instance: 'a', minutes: 2, requests: 10, errors_5xx: 1, errors_4xx: 2, slow_500: 3, slow_1000: 4, login_success: 5, login_failure: 6,
        registrations: 7, registration_attempts: 8, token_success: 9, token_failure: 10, le_5ms: 9, le_10ms: 0, le_25ms: 0, le_50ms: 0, le_100ms: 0, le_250ms: 0, le_500ms: 0, le_1000ms: 0, le_2500ms: 0, le_5000ms: 0,
      });
      // The primary key is (day, instance): a second row for the same pair is refused.
      await expect(sql`insert into slo_days (day, instance) values (${day.day}, 'a')`.execute(db())).rejects.toThrow();

      await m008.down(db());
      expect(await run()).toEqual({ tables: [{ table: 'slo_days', missing: true, deleted: 0 }], deleted: 0 });
      await m008.up(db());
      await sql`insert into slo_days (day, instance) values (${day.day}, 'b')`.execute(db());
      expect(Number((await db().selectFrom('slo_days').select('requests').executeTakeFirstOrThrow()).requests)).toBe(0);
    });
  });
}
