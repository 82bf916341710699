import { sql } from 'kysely';
import type { Config } from '../config/index.js';
import type { Clock } from '../shared/clock.js';
import type { Database } from '../storage/index.js';
import { migrationsCurrent } from '../storage/index.js';
import type { KeyValueStore } from '../storage/kv/ports.js';
import { timedCheck, type CheckResult } from './health-checks.js';

export type DependencyStatus = 'connected' | 'disconnected' | 'unknown';
export type RedisStatus = 'connected' | 'disconnected' | 'not_configured';

export interface HealthSnapshot {
  status: 'healthy' | 'degraded';
  version: string;
  environment: string;
  uptime: number;
  services: { database: { status: DependencyStatus }; redis: { status: RedisStatus } };
  /** What is switched on (seed 000's shape); emergency_mode changes at run time. */
  features: Record<string, boolean>;
}

/** One readiness check as `/health/ready` reports it. */
export interface ReadinessCheck {
  status: 'ok' | 'error' | 'timeout';
  latency_ms: number;
}

export interface Readiness {
  ready: boolean;
  /** database, migrations, and redis when REDIS_URL is set. */
  checks: Record<string, ReadinessCheck>;
}

/**
 * Liveness and readiness. The database is probed on an interval in the background so
 * `GET /health` answers from memory and never waits on a dependency; readiness checks each
 * dependency now, each bounded by HEALTH_CHECK_TIMEOUT.
 */
export interface HealthService {
  start(): Promise<void>;
  stop(): void;
  snapshot(): HealthSnapshot;
  /** One probe now, bounded by `timeoutMs` (default HEALTH_CHECK_TIMEOUT). */
  probeDatabase(timeoutMs?: number): Promise<{ ok: boolean; latencyMs: number; error?: string }>;
  /** The database answers, its schema is current, and Redis answers when configured. */
  readiness(): Promise<Readiness>;
  /** Each dependency checked now: database, migrations, redis (absent when not configured). */
  checkDependencies(): Promise<Record<string, CheckResult<unknown>>>;
  /** Seconds since start. */
  uptime(): number;
}

export function createHealthService(deps: {
  config: Pick<Config, 'version' | 'environment' | 'health' | 'protection'>;
  database: Database;
  kv: Pick<KeyValueStore, 'kind' | 'status' | 'ping'>;
  clock: Clock;
  /** Run-time feature flags (emergency mode, metrics, error tracking), merged over the configured ones. */
  features?: () => Record<string, boolean>;
  intervalMs?: number;
  startedAt?: number;
}): HealthService {
  const { config, database, kv, clock } = deps;
  const timeoutMs = config.health.checkTimeoutMs;
  const startedAt = deps.startedAt ?? clock.now();
  let dbStatus: DependencyStatus = 'unknown';
  let timer: NodeJS.Timeout | undefined;

  // Read `database.db` at each call, not once: the handle is the one the services use now.
  const selectOne = () => sql`select 1`.execute(database.db);

  async function probeDatabase(ms = timeoutMs) {
    const r = await timedCheck(selectOne, ms);
    return { ok: r.status === 'ok', latencyMs: r.latency_ms, ...(r.status === 'ok' ? {} : { error: r.error ?? 'timeout' }) };
  }

  async function checkDependencies(): Promise<Record<string, CheckResult<unknown>>> {
    const [db, migrations, redis] = await Promise.all([
      timedCheck(selectOne, timeoutMs),
      timedCheck(async () => {
        if (!(await migrationsCurrent(database.db))) throw new Error('pending migrations: run `vigil migrate`');
      }, timeoutMs),
      kv.kind === 'redis' ? timedCheck(() => kv.ping(), timeoutMs) : undefined,
    ]);
    return { database: db, migrations, ...(redis ? { redis } : {}) };
  }

  const refresh = async () => {
    dbStatus = (await probeDatabase()).ok ? 'connected' : 'disconnected';
  };

  const redisStatus = (): RedisStatus => (kv.kind !== 'redis' ? 'not_configured' : kv.status() === 'up' ? 'connected' : 'disconnected');

  return {
    async start() {
      await refresh();
      timer = setInterval(() => void refresh(), deps.intervalMs ?? 10_000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
    snapshot() {
      const redis = redisStatus();
      return {
        status: dbStatus === 'disconnected' || redis === 'disconnected' ? 'degraded' : 'healthy',
        version: config.version,
        environment: config.environment,
        uptime: Math.floor((clock.now() - startedAt) / 1000),
        services: { database: { status: dbStatus }, redis: { status: redis } },
        features: {
          rate_limiting: config.protection.rateLimits.enabled,
          security_headers: true,
          request_id_tracking: true,
          ...deps.features?.(),
        },
      };
    },
    probeDatabase,
    async readiness() {
      const results = await checkDependencies();
      const checks = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, { status: r.status, latency_ms: r.latency_ms }]));
      return { ready: Object.values(results).every((r) => r.status === 'ok'), checks };
    },
    checkDependencies,
    uptime: () => Math.floor((clock.now() - startedAt) / 1000),
  };
}
