import { sql, type Kysely } from 'kysely';
import type { Series } from '../types.js';
import type { SignalSource } from './types.js';

/**
 * Last successful finish per job, from the maintenance scheduler's `job_runs` table (columns
 * job, status, finished_at). Undefined when the table does not exist.
 */
export async function lastSuccessfulRuns(db: Kysely<unknown>): Promise<Map<string, number> | undefined> {
  try {
    const { rows } = await sql<{ job: string; last: number | string | null }>`select job, max(finished_at) as last from job_runs where status = 'succeeded' group by job`.execute(db);
    return new Map(rows.filter((r) => r.last !== null).map((r) => [r.job, Number(r.last)]));
  } catch {
    // No job_runs table (the scheduler is not there): no data, the rules stay inactive.
    return undefined;
  }
}

/**
 * Job staleness and backup age for the maintenance jobs. The table is read every `refreshMs`
 * (5 min), never per evaluation; without a `job_runs` table there is no data.
 */
export function jobSignals(deps: { db: Kysely<unknown>; refreshMs?: number }): SignalSource {
  const refreshMs = deps.refreshMs ?? 300_000;
  let runs: Map<string, number> | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  let now = 0;
  const ages = (filter: (job: string) => boolean): Series[] =>
    runs ? [...runs].filter(([job]) => filter(job)).map(([job, at]) => ({ labels: { job }, value: Math.max(0, (now - at) / 1000) })) : [];
  return {
    signals: [
      { name: 'job_staleness_seconds', help: 'Seconds since each maintenance job last succeeded (label job; from job_runs).', windowed: false, key: 'job', read: () => ages(() => true) },
      { name: 'backup_age_seconds', help: 'Seconds since the last successful backup job (jobs whose name contains "backup").', windowed: false, key: 'job', read: () => ages((job) => job.includes('backup')) },
    ],
    async sample(at) {
      now = at;
      if (at - readAt < refreshMs) return;
      readAt = at;
      runs = await lastSuccessfulRuns(deps.db);
    },
  };
}
