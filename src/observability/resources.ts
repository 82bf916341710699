import { statfs } from 'node:fs/promises';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Clock } from '../shared/clock.js';

/** What the process uses, as of `sampled_at`. */
export interface ResourceSample {
  /** Epoch milliseconds of the sample. */
  sampled_at: number;
  /** Process CPU time (user + system) over the last interval, in % of one core (above 100 with worker threads busy). */
  cpu_percent: number;
  rss_bytes: number;
  heap_used_bytes: number;
  heap_total_bytes: number;
  /** 99th percentile of the event-loop delay over the last interval. */
  event_loop_lag_p99_ms: number;
  /** Free space of the data directory's file system, for unprivileged users; null when it cannot be read. */
  disk_free_percent: number | null;
}

/**
 * Samples CPU, memory, event-loop lag and free disk every `intervalMs` (15 s) on an unref'd
 * timer, so reading them (`/health/detailed`, metrics) costs nothing.
 */
export interface ResourceMonitor {
  start(): void;
  stop(): void;
  /** The last sample (one is taken at creation, before the first interval). */
  latest(): ResourceSample;
  /** Samples now (and makes it the latest). */
  sample(): Promise<ResourceSample>;
}

export function createResourceMonitor(deps: {
  /** The directory whose file system's free space is reported (Vigil's data directory). */
  dataDir: string;
  clock: Clock;
  intervalMs?: number;
}): ResourceMonitor {
  const { clock, dataDir } = deps;
  let lag: IntervalHistogram | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  let diskFree: number | null = null;

  function take(): ResourceSample {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const elapsedMicros = (now - lastAt) * 1000;
    lastCpu = process.cpuUsage();
    lastAt = now;
    // The histogram holds nanoseconds; reset so each sample covers one interval.
    const p99 = lag && lag.count > 0 ? lag.percentile(99) / 1e6 : 0;
    lag?.reset();
    const memory = process.memoryUsage();
    return {
      sampled_at: clock.now(),
      cpu_percent: elapsedMicros > 0 ? round(((cpu.user + cpu.system) / elapsedMicros) * 100) : 0,
      rss_bytes: memory.rss,
      heap_used_bytes: memory.heapUsed,
      heap_total_bytes: memory.heapTotal,
      event_loop_lag_p99_ms: round(p99),
      disk_free_percent: diskFree,
    };
  }

  async function readDisk(): Promise<number | null> {
    try {
      const fs = await statfs(dataDir);
      return fs.blocks > 0 ? round((fs.bavail / fs.blocks) * 100) : null;
    } catch {
      return null;
    }
  }

  let latest = take();

  async function sample(): Promise<ResourceSample> {
    diskFree = await readDisk();
    latest = take();
    return latest;
  }

  return {
    start() {
      if (timer) return;
      lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      void sample();
      timer = setInterval(() => void sample(), deps.intervalMs ?? 15_000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      lag?.disable();
      lag = undefined;
    },
    latest: () => latest,
    sample,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
