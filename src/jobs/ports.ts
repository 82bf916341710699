import type { JobRunStatus, JobRunsTable } from '../storage/schema-maintenance.js';

/** One recorded run (job_runs), with its statistics parsed. */
export type JobRun = Omit<JobRunsTable, 'stats'> & { stats: Record<string, unknown> | null };

/** The job_runs table. */
export interface JobRunRepository {
  /** Records a started run; false when a run of this job for this tick is already recorded. */
  start(run: { id: string; job: string; instance: string; tick: number | null; trigger: 'schedule' | 'manual'; started_at: number }): Promise<boolean>;
  finish(id: string, result: { finished_at: number; status: JobRunStatus; stats: Record<string, unknown> | null; error: string | null }): Promise<void>;
  /** Marks the job's runs still `running` as abandoned (their holder's lease ran out); returns how many. */
  abandonRunning(job: string, now: number): Promise<number>;
  history(job: string, limit: number): Promise<JobRun[]>;
  /** The latest run of each job, and the latest successful finish of each job. */
  latest(): Promise<Map<string, { last: JobRun; lastSuccessAt: number | null }>>;
}

/** Lease rows: at most one holder of a name until it expires. Atomic in the database. */
export interface LeaseRepository {
  /** Takes the lease when it is free or expired; false when someone holds it. */
  acquire(name: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  /** Extends the holder's lease; false when it is no longer theirs. */
  renew(name: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  release(name: string, holder: string): Promise<void>;
  /** Unexpired leases whose name starts with `prefix`. */
  active(prefix: string, now: number): Promise<{ name: string; holder: string; acquired_at: number; expires_at: number }[]>;
}
