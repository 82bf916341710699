import { Gauge } from 'prom-client';
import type pg from 'pg';
import type { AccountLockRepository } from '../protection/ports.js';
import type { Clock } from '../shared/clock.js';
import type { BlacklistRepository, RefreshTokenRepository } from '../tokens/ports.js';
import type { Metrics } from './metrics.js';

/** What the gauges read at scrape time: each from memory, never a query. */
export interface LiveSources {
  /** The last periodic database probe succeeded (the health service's cached state). */
  databaseUp: () => boolean;
  /** The shared-state store answers (always true for the in-process store). */
  redisUp: () => boolean;
  /** IP blocks in force, from the in-memory list every request checks. */
  blockedIps: () => number;
  /** The PostgreSQL pool; undefined on SQLite (no pool gauges then). */
  pool: Pick<pg.Pool, 'totalCount' | 'idleCount' | 'waitingCount' | 'options'> | undefined;
  /** Free space of the data directory's file system in %, from the resource monitor's last sample; null when unreadable. */
  diskFreePercent: () => number | null;
}

/** Gauges computed when Prometheus scrapes, from state already in memory. */
export function registerLiveGauges(metrics: Metrics, sources: LiveSources): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'vigil_db_up',
    help: '1 when the last periodic database probe succeeded, else 0.',
    registers,
    collect() {
      this.set(sources.databaseUp() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vigil_redis_up',
    help: '0 while Redis (REDIS_URL) is unreachable and this instance works on local state, else 1 (always 1 without REDIS_URL).',
    registers,
    collect() {
      this.set(sources.redisUp() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vigil_blocked_ips',
    help: 'IP addresses and ranges blocked now.',
    registers,
    collect() {
      this.set(sources.blockedIps());
    },
  });
  new Gauge({
    name: 'vigil_data_disk_free_ratio',
    help: "Free space of the data directory's file system, 0 to 1 (the resource monitor samples it every 15 s); NaN when it cannot be read.",
    registers,
    collect() {
      const percent = sources.diskFreePercent();
      this.set(percent === null ? Number.NaN : percent / 100);
    },
  });
  const pool = sources.pool;
  if (!pool) return;
  new Gauge({
    name: 'vigil_db_pool_connections',
    help: 'PostgreSQL pool connections by state (active: checked out by a query, idle: open and free).',
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.set({ state: 'active' }, pool.totalCount - pool.idleCount);
      this.set({ state: 'idle' }, pool.idleCount);
    },
  });
  new Gauge({
    name: 'vigil_db_pool_waiting_clients',
    help: 'Queries waiting for a PostgreSQL pool connection (above 0: the pool is saturated).',
    registers,
    collect() {
      this.set(pool.waitingCount);
    },
  });
  new Gauge({ name: 'vigil_db_pool_max_connections', help: 'PostgreSQL pool size (DATABASE_POOL_MAX).', registers }).set(pool.options.max ?? 10);
}

/** The ports the scheduled gauges query. */
export interface GaugeRepositories {
  blacklist: Pick<BlacklistRepository, 'stats'>;
  accountLocks: Pick<AccountLockRepository, 'listLocked'>;
  refreshTokens: Pick<RefreshTokenRepository, 'countActiveSessions'>;
}

export interface ScheduledGauges {
  /** Computes every gauge now, then again every interval (an unref'd timer). */
  start(): Promise<void>;
  /** Stops the timer and waits for a computation in flight (before the database closes). */
  stop(): Promise<void>;
  /** One computation now (tests call it instead of waiting for the timer). */
  refresh(): Promise<void>;
}

/**
 * Gauges that need a query (token blacklist, locked accounts, active sessions), computed on a
 * schedule, never per scrape: a scrape costs no database work, and many scrapers cost no more
 * than one. A failed refresh keeps the previous values and is reported to `onError`.
 */
export function createScheduledGauges(deps: {
  metrics: Metrics;
  repos: GaugeRepositories;
  clock: Clock;
  intervalMs?: number;
  onError: (e: unknown) => void;
}): ScheduledGauges {
  const { repos, clock } = deps;
  const registers = [deps.metrics.registry];
  const blacklist = new Gauge({
    name: 'vigil_token_blacklist_entries',
    help: 'Revoked access tokens in the blacklist: active (still unexpired, so still refused) or expired (awaiting cleanup).',
    labelNames: ['state'] as const,
    registers,
  });
  const locked = new Gauge({ name: 'vigil_locked_accounts', help: 'Accounts locked now (lockout after failed logins, or by an administrator).', registers });
  const sessions = new Gauge({ name: 'vigil_active_sessions', help: 'Sessions (refresh-token families) neither expired nor revoked.', registers });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function compute(): Promise<void> {
    const now = clock.now();
    const [stats, lockedAccounts, activeSessions] = await Promise.all([
      repos.blacklist.stats(now),
      repos.accountLocks.listLocked(now),
      repos.refreshTokens.countActiveSessions(now),
    ]);
    blacklist.set({ state: 'active' }, stats.active);
    blacklist.set({ state: 'expired' }, stats.expired);
    locked.set(lockedAccounts.length);
    sessions.set(activeSessions);
  }

  // One computation at a time: a slow database never piles refreshes up.
  const refresh = () => (running ??= compute().finally(() => (running = undefined)));

  return {
    async start() {
      await refresh().catch(deps.onError);
      timer = setInterval(() => void refresh().catch(deps.onError), deps.intervalMs ?? 30_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
    refresh,
  };
}
