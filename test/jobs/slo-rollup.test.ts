import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SloBucket, SloMinute } from '../../src/alerting/ports.js';
import { metricAggregatesJob } from '../../src/jobs/metric-aggregates.js';
import pino from 'pino';
import { migrateToLatest, type Database } from '../../src/storage/index.js';
import { createSloRepository } from '../../src/storage/repositories/alerting.js';
import { DAY_MS, rollUpSloDay } from '../../src/storage/repositories/slo-days.js';
import { SLO_SUMMED } from '../../src/storage/schema-alerting.js';
import { BACKENDS } from '../support/backends.js';
import { testConfig } from '../support/config.js';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const at = (iso: string) => Date.parse(iso);
/** A minute whose every counter differs (a column summed into the wrong place shows). */
function minute(t: number, instance: string, seed: number): SloMinute {
  return { minute: t, instance, ...Object.fromEntries(SLO_SUMMED.map((c, i) => [c, seed * 100 + i * 7 + (t / 60_000) % 13])) } as SloMinute;
}
/** The column sums of some minutes, as a day row holds them. */
const sums = (rows: SloMinute[]) => Object.fromEntries(SLO_SUMMED.map((c) => [c, rows.reduce((n, r) => n + (r[c] ?? 0), 0)]));

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`daily roll-up of the SLO minutes on ${backend.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    const db = () => database.db as unknown as Kysely<any>;
    const repo = () => createSloRepository(database.db);
    const job = (minuteDays = 35, dayDays = 400) => metricAggregatesJob({ db: db(), dialect: database.dialect, batchSize: 2, pauseMs: 0, minuteDays, dayDays });
    const run = (dryRun = false, now = NOW, j = job()) => j.run({ now, dryRun, signal: new AbortController().signal, log: pino({ level: 'silent' }), progress: () => undefined });
    const dayRows = async () => (await db().selectFrom('slo_days').selectAll().orderBy('day').orderBy('instance').execute()).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'instance' ? v : Number(v)])));
    const minuteTimes = async () => (await db().selectFrom('slo_minutes').select(['minute', 'instance']).orderBy('minute').orderBy('instance').execute()).map((r) => `${new Date(Number(r.minute)).toISOString()} ${r.instance}`);
    const everything = () => repo().series(0, NOW + DAY_MS, DAY_MS);
    const add = async (rows: SloMinute[]) => {
      for (const r of rows) await repo().add(r);
    };

    beforeAll(async () => {
      ({ database, drop } = await backend.open());
      await migrateToLatest(database.db);
    });
    afterAll(async () => {
      await database.close();
      await drop();
    });
    beforeEach(async () => {
      await db().deleteFrom('slo_minutes').execute();
      await db().deleteFrom('slo_days').execute();
    });

    // Retention 35 days at NOW: the cutoff is 2026-10-16T12:00, so whole days up to 2026-10-15 move.
    const old = [
      minute(at('2026-10-10T00:00:00Z'), 'a', 1), minute(at('2026-10-10T06:30:00Z'), 'a', 2), minute(at('2026-10-10T23:59:00Z'), 'a', 3),
      minute(at('2026-10-10T06:30:00Z'), 'b', 4), minute(at('2026-10-15T23:59:00Z'), 'a', 5),
    ];
    const kept = [minute(at('2026-10-16T01:00:00Z'), 'a', 6), minute(at('2026-10-16T13:00:00Z'), 'b', 7), minute(at('2026-11-19T10:00:00Z'), 'a', 8)];

    it('moves whole expired days: each day row holds the sums of its minutes; the day across the cutoff and newer days keep theirs; no total changes', async () => {
      await add([...old, ...kept]);
      const before = await everything();
      const totalsBefore = await repo().totals(0, NOW);

      const stats = await run();
      expect(stats.tables).toEqual([
        expect.objectContaining({ table: 'slo_minutes', retention_days: 35, older_than: '2026-10-16T00:00:00.000Z', rolled_up_days: 2, deleted: old.length }),
        expect.objectContaining({ table: 'slo_days', retention_days: 400, deleted: 0 }),
      ]);
      expect(await dayRows()).toEqual([
        { day: at('2026-10-10T00:00:00Z'), instance: 'a', minutes: 3, ...sums(old.slice(0, 3)) },
        { day: at('2026-10-10T00:00:00Z'), instance: 'b', minutes: 1, ...sums([old[3]!]) },
        { day: at('2026-10-15T00:00:00Z'), instance: 'a', minutes: 1, ...sums([old[4]!]) },
      ]);
      // The 01:00 minute of 2026-10-16 is past the cutoff's age but its day is not whole yet: it stays.
      expect(await minuteTimes()).toEqual(['2026-10-16T01:00:00.000Z a', '2026-10-16T13:00:00.000Z b', '2026-11-19T10:00:00.000Z a']);
      // Nothing lost, nothing counted twice: per day and in total the same as before.
      expect(await everything()).toEqual(before);
      const totalsAfter = await repo().totals(0, NOW);
      expect({ ...totalsAfter, minutes: 0 }).toEqual({ ...totalsBefore, minutes: 0 });
      // Distinct minutes: 2026-10-10 counts its busiest instance (3), the others one each.
      expect(totalsBefore.minutes).toBe(7);
      expect(totalsAfter.minutes).toBe(3 + 1 + 3);
    });

    it('is idempotent: a second run moves nothing and leaves the day rows as they were', async () => {
      await add([...old, ...kept]);
      await run();
      const rows = await dayRows();
      const series = await everything();
      expect((await run()).tables).toEqual([expect.objectContaining({ rolled_up_days: 0, deleted: 0 }), expect.objectContaining({ deleted: 0 })]);
      expect(await dayRows()).toEqual(rows);
      expect(await everything()).toEqual(series);
    });

    it('a minute arriving for a day already moved is added to it once, neither lost nor counted twice', async () => {
      await add(old);
      await run();
      const late = minute(at('2026-10-10T12:00:00Z'), 'a', 9);
      await add([late]);
      const expected: SloBucket = { t: at('2026-10-10T00:00:00Z'), ...sums([...old.slice(0, 4), late]) } as SloBucket;
      expect((await everything())[0]).toEqual(expected);
      expect((await run()).tables).toEqual([expect.objectContaining({ rolled_up_days: 1, deleted: 1 }), expect.anything()]);
      expect((await everything())[0]).toEqual(expected);
      expect((await dayRows())[0]).toEqual({ day: expected.t, instance: 'a', minutes: 4, ...sums([...old.slice(0, 3), late]) });
      await run();
      expect((await everything())[0]).toEqual(expected);
    });

    it('a roll-up that fails deletes no minute', async () => {
      await add(old);
      await sql`alter table slo_days rename to slo_days_away`.execute(db());
      try {
        await expect(rollUpSloDay(database.db, at('2026-10-10T00:00:00Z'), 'a')).rejects.toThrow();
      } finally {
        await sql`alter table slo_days_away rename to slo_days`.execute(db());
      }
      expect(await minuteTimes()).toHaveLength(old.length);
      expect(await dayRows()).toEqual([]);
      await expect(rollUpSloDay(database.db, at('2026-10-10T00:00:00Z'), 'a')).resolves.toBe(3);
      expect(await minuteTimes()).toHaveLength(old.length - 3);
    });

    it('concurrent roll-ups of the same day add each minute once', async () => {
      const many = Array.from({ length: 40 }, (_, i) => minute(at('2026-10-10T00:00:00Z') + i * 60_000, 'a', i));
      await add(many);
      const moved = await Promise.all(Array.from({ length: 4 }, () => rollUpSloDay(database.db, at('2026-10-10T00:00:00Z'), 'a')));
      expect(moved.reduce((a, b) => a + b, 0)).toBe(40);
      expect(await dayRows()).toEqual([{ day: at('2026-10-10T00:00:00Z'), instance: 'a', minutes: 40, ...sums(many) }]);
    });

    it('deletes day rows older than SLO_DAILY_RETENTION_DAYS; a dry run changes nothing', async () => {
      await add([...old, ...kept]);
      await run();
      const later = at('2027-11-12T12:00:00Z'); // 398 days after 2026-10-10 and 393 after 2026-10-15
      const dry = await run(true, later, job(35, 395));
      expect(dry).toMatchObject({ dry_run: true, deleted: 0 });
      expect(dry.tables).toEqual([
        expect.objectContaining({ table: 'slo_minutes', would_roll_up_days: 2, would_delete: 3 }),
        expect.objectContaining({ table: 'slo_days', would_delete: 2 }),
      ]);
      expect(await dayRows()).toHaveLength(3);
      expect(await minuteTimes()).toHaveLength(3);

      const stats = await run(false, later, job(35, 395));
      expect(stats.tables).toEqual([expect.objectContaining({ rolled_up_days: 2, deleted: 3 }), expect.objectContaining({ table: 'slo_days', deleted: 2 })]);
      expect((await dayRows()).map((r) => `${new Date(r.day as number).toISOString().slice(0, 10)} ${r.instance}`)).toEqual(['2026-10-15 a', '2026-10-16 a', '2026-10-16 b', '2026-11-19 a']);
      expect(await minuteTimes()).toEqual([]);
    });

    it('reports sum the day rows whose day starts in the window with the minutes kept', async () => {
      await add([...old, ...kept]);
      await run();
      const window = await repo().totals(at('2026-10-15T00:00:00Z'), at('2026-10-16T12:00:00Z'));
      const expected = sums([old[4]!, kept[0]!]);
      expect(window.requests).toBe(expected.requests);
      expect(window.errors_5xx).toBe(expected.errors_5xx);
      expect(window.minutes).toBe(2);
      // A day that started before the window is not in it, even in part.
      expect((await repo().totals(at('2026-10-10T01:00:00Z'), at('2026-10-11T00:00:00Z'))).requests).toBe(0);
      // Finer buckets than a day read the minutes only.
      expect(await repo().series(at('2026-10-10T00:00:00Z'), at('2026-10-11T00:00:00Z'), 3_600_000)).toEqual([]);
    });
  });
}

describe('SLO_DAILY_RETENTION_DAYS', () => {
  it('defaults to 400 and may not be shorter than METRIC_AGGREGATE_RETENTION_DAYS', () => {
    expect(testConfig().jobs.sloDailyRetentionDays).toBe(400);
    expect(testConfig().jobs.metricAggregateRetentionDays).toBe(35);
    expect(testConfig({ SLO_DAILY_RETENTION_DAYS: '35' }).jobs.sloDailyRetentionDays).toBe(35);
    expect(() => testConfig({ SLO_DAILY_RETENTION_DAYS: '30' })).toThrow(/SLO_DAILY_RETENTION_DAYS.*at least METRIC_AGGREGATE_RETENTION_DAYS/s);
    expect(() => testConfig({ METRIC_AGGREGATE_RETENTION_DAYS: '500' })).toThrow(/SLO_DAILY_RETENTION_DAYS/);
  });
});
