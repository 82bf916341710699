import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { ResourceSample } from '../../observability/resources.js';
import { scalar, type SignalSource } from './types.js';

/** The memory this process may use: the cgroup's limit when there is one, else the machine's. */
export function memoryLimitBytes(): number {
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const n = Number(readFileSync(path, 'utf8').trim());
      if (Number.isFinite(n) && n > 0 && n < totalmem()) return n;
    } catch {
      // Not in a cgroup with a limit.
    }
  }
  return totalmem();
}

/**
 * Health of the instance and its dependencies (from the health service's cached probe and the kv
 * store's state) and its resources (the resource monitor's last sample): all read from memory.
 */
export function systemSignals(deps: {
  databaseUp: () => boolean;
  /** undefined when Redis is not configured (no data: the rule stays inactive). */
  redisUp: () => boolean | undefined;
  healthy: () => boolean;
  resources: () => ResourceSample;
  memoryLimitBytes: number;
}): SignalSource {
  const flag = (v: boolean | undefined) => scalar(v === undefined ? undefined : v ? 1 : 0);
  return {
    signals: [
      { name: 'health_up', help: '1 while /health reports healthy, else 0.', windowed: false, read: () => flag(deps.healthy()) },
      { name: 'database_up', help: '1 when the last periodic database probe succeeded, else 0.', windowed: false, read: () => flag(deps.databaseUp()) },
      { name: 'redis_up', help: '1 while Redis answers, 0 while it is unreachable; no data without REDIS_URL.', windowed: false, read: () => flag(deps.redisUp()) },
      { name: 'memory_usage_percent', help: 'Resident memory of the process in % of its memory limit (cgroup, else the machine).', windowed: false, read: () => scalar((deps.resources().rss_bytes / deps.memoryLimitBytes) * 100) },
      { name: 'disk_free_percent', help: "Free space of the data directory's file system in %.", windowed: false, read: () => scalar(deps.resources().disk_free_percent) },
      { name: 'event_loop_lag_p99_ms', help: 'Event-loop delay p99 over the last resource sample, in ms.', windowed: false, read: () => scalar(deps.resources().event_loop_lag_p99_ms) },
    ],
  };
}
