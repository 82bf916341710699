import type { Kysely } from 'kysely';
import type { JobRun, JobRunRepository } from '../../jobs/ports.js';
import type { JobRunsTable, MaintenanceDB } from '../schema-maintenance.js';

const view = (r: JobRunsTable): JobRun => ({ ...r, tick: r.tick === null ? null : Number(r.tick), stats: r.stats === null ? null : (JSON.parse(r.stats) as Record<string, unknown>) });

export function createJobRunRepository(db: Kysely<MaintenanceDB>): JobRunRepository {
  return {
    async start(run) {
      const result = await db
        .insertInto('job_runs')
        .values({ ...run, finished_at: null, status: 'running', stats: null, error: null })
        .onConflict((oc) => oc.columns(['job', 'tick']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async finish(id, result) {
      await db
        .updateTable('job_runs')
        .set({ finished_at: result.finished_at, status: result.status, stats: result.stats === null ? null : JSON.stringify(result.stats), error: result.error })
        .where('id', '=', id)
        .execute();
    },
    async abandonRunning(job, now) {
      const result = await db
        .updateTable('job_runs')
        .set({ status: 'abandoned', finished_at: now, error: 'its instance stopped before finishing (the lease ran out)' })
        .where('job', '=', job)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async history(job, limit) {
      const rows = await db.selectFrom('job_runs').selectAll().where('job', '=', job).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(view);
    },
    async latest() {
      const lastStarted = db.selectFrom('job_runs').select(['job', (eb) => eb.fn.max('started_at').as('started_at')]).groupBy('job');
      const rows = await db
        .selectFrom('job_runs as r')
        .innerJoin(lastStarted.as('m'), (j) => j.onRef('m.job', '=', 'r.job').onRef('m.started_at', '=', 'r.started_at'))
        .selectAll('r')
        .execute();
      const successes = await db
        .selectFrom('job_runs')
        .select(['job', (eb) => eb.fn.max('finished_at').as('at')])
        .where('status', '=', 'succeeded')
        .groupBy('job')
        .execute();
      const out = new Map<string, { last: JobRun; lastSuccessAt: number | null }>();
      for (const r of rows) out.set(r.job, { last: view(r), lastSuccessAt: null });
      for (const s of successes) {
        const entry = out.get(s.job);
        if (entry) entry.lastSuccessAt = s.at === null ? null : Number(s.at);
      }
      return out;
    },
  };
}
