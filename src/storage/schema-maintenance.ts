import type { DB } from './schema.js';

/** A run of a maintenance job (migration 004). Times are epoch ms. */
export interface JobRunsTable {
  id: string;
  job: string;
  instance: string;
  /** The schedule tick; null for a run asked for by hand. */
  tick: number | null;
  trigger: 'schedule' | 'manual';
  started_at: number;
  finished_at: number | null;
  status: JobRunStatus;
  /** JSON text. */
  stats: string | null;
  error: string | null;
}

export type JobRunStatus = 'running' | 'succeeded' | 'failed' | 'abandoned' | 'dry_run';

/** A lease: whoever holds `name` until `expires_at` (renewed while the holder works). */
export interface JobLeasesTable {
  name: string;
  holder: string;
  acquired_at: number;
  expires_at: number;
}

/** The tables Vigil's maintenance reads and writes, over the base schema. */
export interface MaintenanceDB extends DB {
  job_runs: JobRunsTable;
  job_leases: JobLeasesTable;
}
