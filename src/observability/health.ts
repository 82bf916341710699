import { sql } from 'kysely';
import type { Config } from '../config/index.js';
import type { Clock } from '../shared/clock.js';
import type { Database } from '../storage/index.js';

export type DependencyStatus = 'connected' | 'disconnected' | 'unknown';

export interface HealthSnapshot {
  status: 'healthy' | 'degraded';
  version: string;
  environment: string;
  uptime: number;
  services: { database: { status: DependencyStatus } };
  /** What is switched on (seed 000's shape); emergency_mode changes at run time. */
  features: Record<string, boolean>;
}

/**
 * Liveness state. The database is probed on an interval in the background so `GET /health`
 * answers from memory and never waits on a dependency.
 */
export interface HealthService {
  start(): Promise<void>;
  stop(): void;
  snapshot(): HealthSnapshot;
  /** One probe now, bounded by `timeoutMs`. */
  probeDatabase(timeoutMs?: number): Promise<{ ok: boolean; latencyMs: number; error?: string }>;
}

export function createHealthService(deps: {
  config: Config;
  database: Database;
  clock: Clock;
  /** Run-time feature flags (emergency mode), merged over the configured ones. */
  features?: () => Record<string, boolean>;
  intervalMs?: number;
  startedAt?: number;
}): HealthService {
  const { config, database, clock } = deps;
  const startedAt = deps.startedAt ?? clock.now();
  let dbStatus: DependencyStatus = 'unknown';
  let timer: NodeJS.Timeout | undefined;

  async function probeDatabase(timeoutMs = 2000) {
    const begin = performance.now();
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sql`select 1`.execute(database.db),
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        }),
      ]);
      return { ok: true, latencyMs: performance.now() - begin };
    } catch (e) {
      return { ok: false, latencyMs: performance.now() - begin, error: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timeout);
    }
  }

  const refresh = async () => {
    dbStatus = (await probeDatabase()).ok ? 'connected' : 'disconnected';
  };

  return {
    async start() {
      await refresh();
      timer = setInterval(() => void refresh(), deps.intervalMs ?? 10_000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
    snapshot: () => ({
      status: dbStatus === 'disconnected' ? 'degraded' : 'healthy',
      version: config.version,
      environment: config.environment,
      uptime: Math.floor((clock.now() - startedAt) / 1000),
      services: { database: { status: dbStatus } },
      features: {
        rate_limiting: config.protection.rateLimits.enabled,
        security_headers: true,
        request_id_tracking: true,
        ...deps.features?.(),
      },
    }),
    probeDatabase,
  };
}
