import { sql, type Kysely } from 'kysely';
import type { Series } from '../types.js';
import type { SignalSource } from './types.js';

const NAME_COLUMNS = ['job', 'name', 'job_name'];
const FINISHED_COLUMNS = ['finished_at', 'ended_at', 'completed_at'];
const STATUS_COLUMNS = ['status', 'outcome', 'result'];
const SUCCESS = new Set(['succeeded', 'success', 'ok', 'completed', 'done']);

/** Last successful finish per job, from the maintenance scheduler's `job_runs` table. */
export async function lastSuccessfulRuns(db: Kysely<unknown>): Promise<Map<string, number> | undefined> {
  let rows: Record<string, unknown>[];
  try {
    rows = (await sql<Record<string, unknown>>`select * from job_runs`.execute(db)).rows;
  } catch {
    // No job_runs table (the scheduler is not there): no data, the rules stay inactive.
    return undefined;
  }
  const last = new Map<string, number>();
  for (const row of rows) {
    const name = NAME_COLUMNS.map((c) => row[c]).find((v) => typeof v === 'string') as string | undefined;
    const finished = Number(FINISHED_COLUMNS.map((c) => row[c]).find((v) => v !== undefined && v !== null));
    const status = STATUS_COLUMNS.map((c) => row[c]).find((v) => typeof v === 'string') as string | undefined;
    if (!name || !Number.isFinite(finished) || (status !== undefined && !SUCCESS.has(status.toLowerCase()))) continue;
    if (finished > (last.get(name) ?? 0)) last.set(name, finished);
  }
  return last;
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
