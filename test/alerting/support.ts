import { Kysely, SqliteDialect } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import { httpSignals, jobSignals, notificationSignals, securitySignals, systemSignals, tokenSignals, MAX_WINDOW_MS, type SignalSource } from '../../src/alerting/signals/index.js';

/** Every real signal source over stand-in inputs: the names and kinds the rules validate against. */
export function realSources(intervalMs = 15_000): SignalSource[] {
  const resources = () => ({ sampled_at: 0, cpu_percent: 0, rss_bytes: 1, heap_used_bytes: 1, heap_total_bytes: 1, event_loop_lag_p99_ms: 1, disk_free_percent: 50 });
  return [
    httpSignals({ registry: undefined, intervalMs, maxWindowMs: MAX_WINDOW_MS, availabilityTarget: 0.999 }),
    securitySignals({ intervalMs, maxWindowMs: MAX_WINDOW_MS, blockedIps: () => 0 }),
    systemSignals({ databaseUp: () => true, redisUp: () => undefined, healthy: () => true, resources, memoryLimitBytes: 1 << 30 }),
    tokenSignals({ registry: undefined }),
    jobSignals({ db: new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) }) }),
    notificationSignals({ intervalMs, maxWindowMs: MAX_WINDOW_MS }),
  ];
}

export const signalInfo = () => realSources().flatMap((s) => s.signals.map((x) => ({ name: x.name, windowed: x.windowed })));
