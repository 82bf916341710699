import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../storage/index.js';
import { DAY_MS, rollUpSloDay, sloDaysWithMinutes } from '../storage/repositories/slo-days.js';
import type { DB } from '../storage/schema.js';
import { countWhere, deleteInBatches } from './batch-delete.js';
import { tableExists } from './retention.js';
import { checkAborted, pause, type Job } from './types.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * `retention-metric-aggregates`: the per-minute SLO aggregates (`slo_minutes`) of whole UTC days
 * older than `minuteDays` are moved into their daily totals (`slo_days`, one transaction per day
 * and instance: see rollUpSloDay), and daily totals older than `dayDays` are deleted. So the
 * status page's 90 days and long SLO windows outlive the minutes. Both tables come with the
 * alerting migrations; without them the run succeeds with `missing: true`.
 */
export function metricAggregatesJob(deps: { db: Kysely<unknown>; dialect: Dialect; batchSize: number; pauseMs: number; minuteDays: number; dayDays: number }): Job {
  const db = deps.db as unknown as Kysely<DB>;
  return {
    name: 'retention-metric-aggregates',
    description: 'Sum per-minute metric aggregates older than METRIC_AGGREGATE_RETENTION_DAYS into daily totals, and delete daily totals older than SLO_DAILY_RETENTION_DAYS (when the alerting tables exist)',
    timeoutMs: 60 * 60_000,
    async run(ctx) {
      for (const table of ['slo_minutes', 'slo_days']) {
        if (!(await tableExists(deps.db, deps.dialect, table))) return { tables: [{ table, missing: true, deleted: 0 }], deleted: 0 };
      }
      // Only whole days move: the day that straddles the cutoff keeps its minutes until the next run.
      const minutesBefore = Math.floor((ctx.now - deps.minuteDays * DAY_MS) / DAY_MS) * DAY_MS;
      const daysBefore = ctx.now - deps.dayDays * DAY_MS;
      const pending = await sloDaysWithMinutes(db, minutesBefore);
      const dayCount = new Set(pending.map((p) => p.day)).size;
      const dayWhere = sql`day < ${daysBefore}`;
      const minutes = { table: 'slo_minutes', retention_days: deps.minuteDays, older_than: iso(minutesBefore) };
      const days = { table: 'slo_days', retention_days: deps.dayDays, older_than: iso(daysBefore) };
      if (ctx.dryRun) {
        const wouldMove = await countWhere(deps.db, 'slo_minutes', sql`minute < ${minutesBefore}`);
        const wouldDelete = await countWhere(deps.db, 'slo_days', dayWhere);
        return {
          tables: [{ ...minutes, would_roll_up_days: dayCount, would_delete: wouldMove, deleted: 0 }, { ...days, would_delete: wouldDelete, deleted: 0 }],
          deleted: 0,
          dry_run: true,
        };
      }
      let moved = 0;
      for (const [i, { day, instance }] of pending.entries()) {
        checkAborted(ctx.signal);
        if (i > 0) await pause(deps.pauseMs, ctx.signal);
        moved += await rollUpSloDay(db, day, instance);
        ctx.progress(i + 1, pending.length, 'days of minutes summed into slo_days');
      }
      const total = await countWhere(deps.db, 'slo_days', dayWhere);
      const deleted = await deleteInBatches({ db: deps.db, dialect: deps.dialect, table: 'slo_days', where: dayWhere, batchSize: deps.batchSize, pauseMs: deps.pauseMs, signal: ctx.signal, onBatch: (n) => ctx.progress(n, total, 'slo_days rows deleted') });
      return { tables: [{ ...minutes, rolled_up_days: dayCount, deleted: moved }, { ...days, deleted }], deleted: moved + deleted };
    },
  };
}
