import type { Clock } from '../shared/clock.js';
import type { AdminStatsRepository, UserCounts } from './ports.js';

const DAY_MS = 86_400_000;

export interface AdminStatsSnapshot {
  users: Omit<UserCounts, 'created_since'> & { new_today: number };
  logins_today: { success: number; failure: number };
  blocked_ips: number;
  active_sessions: number;
  /** The last 24 hours of stored security events, by type. */
  events_by_type: Record<string, number>;
  generated_at: string;
}

/**
 * The admin overview's figures (seed 004: users, logins today, failures, blocks, events by type).
 * "Today" starts at midnight UTC. Each figure is one aggregate query over an indexed column, or a
 * count kept in memory (blocks); events are counted as stored, so the last ~200 ms may be missing.
 */
export function createAdminStats(deps: {
  repo: AdminStatsRepository;
  activeSessions: (now: number) => Promise<number>;
  blockedIps: () => number;
  clock: Clock;
}): { snapshot(): Promise<AdminStatsSnapshot> } {
  return {
    async snapshot() {
      const now = deps.clock.now();
      const midnight = now - (now % DAY_MS);
      const [users, logins, last24h, sessions] = await Promise.all([
        deps.repo.userCounts(midnight, now),
        deps.repo.eventCounts(midnight, ['LOGIN_SUCCEEDED', 'LOGIN_FAILED']),
        deps.repo.eventCounts(now - DAY_MS),
        deps.activeSessions(now),
      ]);
      const { created_since, ...counts } = users;
      return {
        users: { ...counts, new_today: created_since },
        logins_today: { success: logins.LOGIN_SUCCEEDED ?? 0, failure: logins.LOGIN_FAILED ?? 0 },
        blocked_ips: deps.blockedIps(),
        active_sessions: sessions,
        events_by_type: last24h,
        generated_at: new Date(now).toISOString(),
      };
    },
  };
}
