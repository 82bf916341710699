import { randomUUID } from 'node:crypto';
import { timeout, TimeoutStrategy } from 'cockatiel';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../shared/clock.js';
import type { JobRun, JobRunRepository, LeaseRepository } from './ports.js';
import type { Job } from './types.js';

export type RunOutcome =
  | { status: 'skipped'; reason: 'lease_held' | 'already_ran' }
  | { status: 'succeeded' | 'failed' | 'dry_run'; run: JobRun };

export interface RunRequest {
  trigger: 'schedule' | 'manual';
  /** The schedule tick (epoch ms) for a scheduled run. */
  tick?: number;
  dryRun?: boolean;
  progress?: (done: number, total: number, what: string) => void;
}

export interface JobRunner {
  readonly instanceId: string;
  run(job: Job, request: RunRequest): Promise<RunOutcome>;
  /** Asks every run in progress on this instance to stop at its next batch (shutdown). */
  abortAll(reason: string): void;
}

/** The lease name of a job. */
export const jobLease = (name: string) => `job:${name}`;

/**
 * Runs a job under its lease and records the run. Only the lease holder runs a job, and a tick is
 * recorded once (job_runs is unique per job and tick), so instances sharing a database never run
 * a scheduled job twice. The lease is renewed every third of its TTL; if renewing fails the run
 * is aborted, and if the holder dies the lease runs out and the next tick goes ahead.
 */
export function createJobRunner(deps: {
  runs: JobRunRepository;
  leases: LeaseRepository;
  clock: Clock;
  instanceId: string;
  leaseTtlMs: number;
  metrics: Metrics | undefined;
  log: Logger;
  /** Every finished run (reports and the alerting hook listen here). */
  onFinished?: (job: Job, run: JobRun) => void;
}): JobRunner {
  const { runs, leases, clock, instanceId, leaseTtlMs, metrics, log } = deps;
  const inProgress = new Set<AbortController>();

  async function run(job: Job, request: RunRequest): Promise<RunOutcome> {
    const lease = jobLease(job.name);
    if (!(await leases.acquire(lease, instanceId, clock.now(), leaseTtlMs))) return { status: 'skipped', reason: 'lease_held' };
    const aborter = new AbortController();
    inProgress.add(aborter);
    const renew = setInterval(() => {
      leases.renew(lease, instanceId, clock.now(), leaseTtlMs).then(
        (held) => {
          if (!held) aborter.abort(new Error('the job lease was lost (another instance took it after it expired)'));
        },
        (e: unknown) => log.warn({ err: e, job: job.name }, 'could not renew the job lease'),
      );
    }, Math.max(200, Math.floor(leaseTtlMs / 3)));
    renew.unref();
    try {
      // We hold the lease: no instance is running this job, so runs still marked running were cut off.
      const now = clock.now();
      const abandoned = await runs.abandonRunning(job.name, now);
      if (abandoned > 0) log.warn({ job: job.name, runs: abandoned }, 'marked runs cut off by a stopped instance as abandoned');
      const id = randomUUID();
      const started = await runs.start({ id, job: job.name, instance: instanceId, tick: request.tick ?? null, trigger: request.trigger, started_at: now });
      if (!started) return { status: 'skipped', reason: 'already_ran' };
      const dryRun = request.dryRun === true;
      log.info({ job: job.name, run_id: id, trigger: request.trigger, dry_run: dryRun }, `job ${job.name} started`);

      const policy = timeout(job.timeoutMs, TimeoutStrategy.Cooperative);
      let stats: Record<string, unknown> | null = null;
      let error: string | null = null;
      try {
        stats = await policy.execute(
          ({ signal }) => job.run({ now, dryRun, signal, log: log.child({ job: job.name }), progress: request.progress ?? (() => undefined) }),
          aborter.signal,
        );
      } catch (e) {
        const lost = aborter.signal.aborted ? (aborter.signal.reason as Error).message : undefined;
        const timedOut = clock.now() - now >= job.timeoutMs;
        error = lost ?? (timedOut ? `timed out after ${Math.round(job.timeoutMs / 1000)} s` : e instanceof Error ? e.message : String(e));
      }
      const finished = clock.now();
      const status = error !== null ? 'failed' : dryRun ? 'dry_run' : 'succeeded';
      await runs.finish(id, { finished_at: finished, status, stats, error });
      const seconds = (finished - now) / 1000;
      metrics?.jobDuration.observe({ job: job.name, status }, seconds);
      if (status === 'succeeded') metrics?.jobLastSuccess.set({ job: job.name }, finished / 1000);
      if (status === 'failed') metrics?.jobFailures.inc({ job: job.name });
      const record: JobRun = { id, job: job.name, instance: instanceId, tick: request.tick ?? null, trigger: request.trigger, started_at: now, finished_at: finished, status, stats, error };
      if (status === 'failed') log.error({ job: job.name, run_id: id, duration_s: seconds, error }, `job ${job.name} failed`);
      else log.info({ job: job.name, run_id: id, duration_s: seconds, stats }, `job ${job.name} ${status === 'dry_run' ? 'dry run finished' : 'succeeded'}`);
      try {
        deps.onFinished?.(job, record);
      } catch (e) {
        log.warn({ err: e, job: job.name }, 'a job listener failed');
      }
      return { status, run: record };
    } finally {
      inProgress.delete(aborter);
      clearInterval(renew);
      await leases.release(lease, instanceId).catch((e: unknown) => log.warn({ err: e, job: job.name }, 'could not release the job lease'));
    }
  }

  return {
    instanceId,
    run,
    abortAll(reason) {
      for (const a of inProgress) a.abort(new Error(reason));
    },
  };
}
