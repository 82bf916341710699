import { Cron } from 'croner';
import type { Logger } from '../observability/logger.js';
import type { JobRunner } from './runner.js';
import type { Job } from './types.js';

export interface ScheduledJob {
  job: Job;
  /** The cron pattern, or null when the job is off. */
  schedule: string | null;
}

export interface Scheduler {
  start(): void;
  /** Stops the timers and waits for the runs in progress on this instance. */
  stop(): Promise<void>;
  /** The next time a job is due (null when it is off). */
  nextRun(name: string, after?: Date): Date | null;
}

/**
 * The in-process scheduler (croner). Every instance keeps the same timers; at each tick they all
 * ask the runner, and only the one that takes the lease runs the job. `protect` keeps one run per
 * job per instance: a tick that comes while the last run is still going is left to the lease.
 */
export function createScheduler(deps: { jobs: ScheduledJob[]; runner: JobRunner; timezone: string; log: Logger }): Scheduler {
  const { runner, timezone, log } = deps;
  const timers: Cron[] = [];
  const inFlight = new Set<Promise<unknown>>();
  // Patterns for next-run questions, also when the scheduler is not started (the CLI).
  const patterns = new Map<string, Cron>(deps.jobs.filter((s) => s.schedule !== null).map((s) => [s.job.name as string, new Cron(s.schedule!, { timezone, paused: true })]));

  function tick(job: Job, cron: Cron): void {
    // The scheduled time this firing is for: every instance computes the same one.
    const tickAt = cron.previousRuns(1, new Date(Date.now() + 1))[0]?.getTime() ?? Math.floor(Date.now() / 1000) * 1000;
    const running = runner
      .run(job, { trigger: 'schedule', tick: tickAt })
      .then((outcome) => {
        if (outcome.status === 'skipped') log.debug({ job: job.name, reason: outcome.reason, tick: tickAt }, `job ${job.name} skipped on this instance`);
      })
      .catch((e: unknown) => log.error({ err: e, job: job.name }, `job ${job.name} could not run`));
    inFlight.add(running);
    void running.finally(() => inFlight.delete(running));
    return void running;
  }

  return {
    start() {
      for (const { job, schedule } of deps.jobs) {
        if (schedule === null) continue;
        const cron: Cron = new Cron(schedule, { timezone, protect: true, catch: (e) => log.error({ err: e, job: job.name }, 'scheduler error') }, () => tick(job, cron));
        timers.push(cron);
      }
      log.info({ jobs: timers.length, timezone, instance: runner.instanceId }, 'maintenance scheduler started');
    },
    async stop() {
      for (const t of timers) t.stop();
      timers.length = 0;
      for (const p of patterns.values()) p.stop();
      await Promise.allSettled([...inFlight]);
    },
    nextRun(name, after) {
      return patterns.get(name)?.nextRun(after ?? new Date()) ?? null;
    },
  };
}
