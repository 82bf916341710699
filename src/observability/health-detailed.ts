import type { Clock } from '../shared/clock.js';
import type { BlacklistStats } from '../tokens/ports.js';
import { errorText, timedCheck, type CheckResult } from './health-checks.js';
import type { HealthService } from './health.js';
import type { ResourceSample } from './resources.js';

/** pg pool usage; null on SQLite (one connection, no pool). */
export interface PoolUsage {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

/** A section that needed a query: its figures, or why they are missing. */
type Section<T> = ({ status: 'ok' } & T) | { status: 'error' | 'timeout'; error?: string };

export interface DetailedHealth {
  status: 'healthy' | 'degraded';
  version: string;
  environment: string;
  checked_at: string;
  dependencies: Record<string, { status: string; latency_ms?: number; error?: string }>;
  database_pool: PoolUsage | null;
  token_blacklist: Section<{ total: number; active: number; expired: number; expired_percent: number; oldest_expired: string | null }>;
  locked_accounts: Section<{ count: number }>;
  blocked_ips: Section<{ count: number }>;
  resources: Section<Omit<ResourceSample, 'sampled_at'> & { sampled_at: string }>;
  process: { uptime_seconds: number; pid: number; node_version: string };
}

export interface DetailedHealthDeps {
  health: Pick<HealthService, 'snapshot' | 'checkDependencies'>;
  clock: Clock;
  timeoutMs: number;
  pool: () => PoolUsage | null;
  blacklistStats: () => Promise<BlacklistStats>;
  lockedAccounts: () => Promise<number>;
  /** From memory. */
  blockedIps: () => number;
  resources: () => ResourceSample;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function section<T, R>(r: CheckResult<T>, ok: (value: T) => R): Section<R> {
  if (r.status !== 'ok') return { status: r.status, ...(r.error ? { error: r.error } : {}) };
  try {
    return { status: 'ok', ...ok(r.value as T) };
  } catch (e) {
    return { status: 'error', error: errorText(e) };
  }
}

/** Runs a synchronous read as a section: a throw becomes that section's error, never the answer's. */
function now<R>(read: () => R): Section<R> {
  try {
    return { status: 'ok', ...read() };
  } catch (e) {
    return { status: 'error', error: errorText(e) };
  }
}

/**
 * `/health/detailed`: every check runs at once, each bounded by the timeout, so the answer comes
 * within the timeout (plus a little) however a dependency hangs; a failing section reports its
 * error and the rest is still there.
 */
export async function detailedHealth(deps: DetailedHealthDeps): Promise<DetailedHealth> {
  const { timeoutMs } = deps;
  const [dependencies, blacklist, locked] = await Promise.all([
    deps.health.checkDependencies().catch((e: unknown): Record<string, CheckResult<unknown>> => ({ database: { status: 'error', latency_ms: 0, error: errorText(e) } })),
    timedCheck(deps.blacklistStats, timeoutMs),
    timedCheck(deps.lockedAccounts, timeoutMs),
  ]);
  const snapshot = deps.health.snapshot();
  const report: DetailedHealth['dependencies'] = Object.fromEntries(
    Object.entries(dependencies).map(([name, r]) => [name, { status: r.status, latency_ms: r.latency_ms, ...(r.error ? { error: r.error } : {}) }]),
  );
  if (!('redis' in report)) report.redis = { status: 'not_configured' };
  const failing = Object.values(report).some((d) => d.status === 'error' || d.status === 'timeout');

  let pool: PoolUsage | null = null;
  try {
    pool = deps.pool();
  } catch {
    pool = null;
  }

  return {
    status: failing || snapshot.status === 'degraded' ? 'degraded' : 'healthy',
    version: snapshot.version,
    environment: snapshot.environment,
    checked_at: new Date(deps.clock.now()).toISOString(),
    dependencies: report,
    database_pool: pool,
    token_blacklist: section(blacklist, (s) => ({
      total: s.total,
      active: s.active,
      expired: s.expired,
      expired_percent: s.total === 0 ? 0 : Math.round((s.expired / s.total) * 1000) / 10,
      oldest_expired: iso(s.oldest_expired),
    })),
    locked_accounts: section(locked, (count) => ({ count })),
    blocked_ips: now(() => ({ count: deps.blockedIps() })),
    resources: now(() => {
      const r = deps.resources();
      return { ...r, sampled_at: new Date(r.sampled_at).toISOString() };
    }),
    process: { uptime_seconds: Math.floor(process.uptime()), pid: process.pid, node_version: process.version },
  };
}

/** The `/health/detailed` report over its sources. */
export function createDetailedHealth(deps: DetailedHealthDeps): () => Promise<DetailedHealth> {
  return () => detailedHealth(deps);
}

/** pg pool usage, or null on SQLite. */
export function poolUsage(pool: { totalCount: number; idleCount: number; waitingCount: number } | undefined, max: number): PoolUsage | null {
  return pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max } : null;
}
