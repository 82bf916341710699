import type { JobName } from '../config/index.js';
import type { Logger } from '../observability/logger.js';

/** What a job run gets: when it started, whether to change anything, and when to stop. */
export interface JobContext {
  /** The run's start (epoch ms): "expired" and "older than" are measured from it. */
  now: number;
  /** Report what would be done; change nothing. */
  dryRun: boolean;
  /** Aborted at the job's timeout or when its lease is lost: stop at the next batch. */
  signal: AbortSignal;
  log: Logger;
  /** Progress of long work (a terminal shows it; the scheduler ignores it). */
  progress(done: number, total: number, what: string): void;
}

/**
 * One maintenance job (one file each, listed in registry.ts). `run` is idempotent: running it
 * twice, or after a crash halfway, leaves the same result. It returns its statistics.
 */
export interface Job {
  name: JobName;
  description: string;
  /** The run is aborted after this long (the job stops at its next batch). */
  timeoutMs: number;
  run(ctx: JobContext): Promise<Record<string, unknown>>;
}

/** Throws the signal's reason when it is aborted (call between batches). */
export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** Waits `ms`, or rejects as soon as the signal is aborted. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
