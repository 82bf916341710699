import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createBackups, type BackupService } from '../backups/index.js';
import type { Config } from '../config/index.js';
import type { HealthSnapshot } from '../observability/health.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ResourceSample } from '../observability/resources.js';
import type { WrittenReport } from '../reports/writer.js';
import type { Clock } from '../shared/clock.js';
import type { Database } from '../storage/index.js';
import { createJobRunRepository } from '../storage/repositories/job-runs.js';
import { createLeaseRepository } from '../storage/repositories/leases.js';
import type { MaintenanceDB } from '../storage/schema-maintenance.js';
import type { JobRun, JobRunRepository, LeaseRepository } from './ports.js';
import { createPresence, PRESENCE_PREFIX, type Presence } from './presence.js';
import { createJobs } from './registry.js';
import { createJobRunner, type JobRunner, type RunOutcome, type RunRequest } from './runner.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import type { Job } from './types.js';

export type { Job } from './types.js';
export type { JobRun } from './ports.js';
export type { RunOutcome } from './runner.js';

/** A job as `vigil jobs list` and the admin API show it. */
export interface JobSummary {
  name: string;
  description: string;
  schedule: string | null;
  timezone: string;
  next_run: number | null;
  last_run: JobRun | null;
  last_success_at: number | null;
}

export interface Maintenance {
  readonly instanceId: string;
  readonly jobs: Job[];
  readonly backups: BackupService;
  readonly runs: JobRunRepository;
  readonly leases: LeaseRepository;
  /** Every written report goes to each listener (e.g. the alerting issue's info route). */
  readonly onReport: ((report: WrittenReport) => void | Promise<void>)[];
  get(name: string): Job | undefined;
  list(): Promise<JobSummary[]>;
  run(name: string, request: Omit<RunRequest, 'trigger'>): Promise<RunOutcome>;
  /** Instances serving now (their presence leases). */
  activeInstances(): Promise<{ instance: string; since: number; expires_at: number }[]>;
  /** For `vigil serve`: the presence lease, and the scheduler when JOBS_ENABLED. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A stable-enough id for this process: host, pid and a random suffix. */
export const newInstanceId = () => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export function createMaintenance(deps: {
  config: Config;
  database: Database;
  clock: Clock;
  metrics: Metrics | undefined;
  log: Logger;
  health: () => HealthSnapshot;
  resources: () => ResourceSample;
  instanceId?: string;
}): Maintenance {
  const { config, database, clock, metrics, log } = deps;
  const db = database.db as unknown as Kysely<MaintenanceDB>;
  const runs = createJobRunRepository(db);
  const leases = createLeaseRepository(db);
  const instanceId = deps.instanceId ?? newInstanceId();
  const backups = createBackups({ database, config, clock });
  const onReport: ((report: WrittenReport) => void | Promise<void>)[] = [];
  const jobs = createJobs({
    config,
    db: database.db as unknown as Kysely<unknown>,
    dialect: database.dialect,
    backups,
    reportSources: { db: database.db as unknown as Kysely<unknown>, dialect: database.dialect, health: deps.health, resources: deps.resources, metrics, runs, backups },
    reportListeners: onReport,
  });
  for (const job of jobs) metrics?.jobFailures.inc({ job: job.name }, 0);
  const byName = new Map(jobs.map((j) => [j.name as string, j]));
  const runner: JobRunner = createJobRunner({ runs, leases, clock, instanceId, leaseTtlMs: config.jobs.leaseTtlMs, metrics, log });
  const scheduler: Scheduler = createScheduler({ jobs: jobs.map((job) => ({ job, schedule: config.jobs.schedules[job.name] })), runner, timezone: config.jobs.timezone, log });
  const presence: Presence = createPresence({ leases, clock, instanceId, ttlMs: config.jobs.leaseTtlMs, log });
  let started = false;

  async function loadLastSuccess(): Promise<void> {
    if (!metrics) return;
    for (const [job, { lastSuccessAt }] of await runs.latest()) if (lastSuccessAt !== null) metrics.jobLastSuccess.set({ job }, lastSuccessAt / 1000);
  }

  return {
    instanceId,
    jobs,
    backups,
    runs,
    leases,
    onReport,
    get: (name) => byName.get(name),
    async list() {
      const latest = await runs.latest();
      return jobs.map((job) => {
        const schedule = config.jobs.schedules[job.name];
        const last = latest.get(job.name);
        return {
          name: job.name,
          description: job.description,
          schedule,
          timezone: config.jobs.timezone,
          next_run: scheduler.nextRun(job.name, new Date(clock.now()))?.getTime() ?? null,
          last_run: last?.last ?? null,
          last_success_at: last?.lastSuccessAt ?? null,
        };
      });
    },
    run(name, request) {
      const job = byName.get(name);
      if (!job) throw new Error(`unknown job ${name}`);
      return runner.run(job, { ...request, trigger: 'manual' });
    },
    async activeInstances() {
      return (await leases.active(PRESENCE_PREFIX, clock.now())).map((l) => ({ instance: l.holder, since: l.acquired_at, expires_at: l.expires_at }));
    },
    async start() {
      await loadLastSuccess().catch((e: unknown) => log.warn({ err: e }, 'could not read the last job runs'));
      await presence.start();
      if (config.jobs.enabled) scheduler.start();
      started = true;
    },
    async stop() {
      // Runs in progress stop at their next batch (a cut-off cleanup is finished by the next run).
      runner.abortAll('the instance is shutting down');
      await scheduler.stop();
      if (started) await presence.stop();
      started = false;
    },
  };
}
