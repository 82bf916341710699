import type { LockoutService } from '../protection/lockout.js';
import type { SecurityEvents } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import type { TokenService } from '../tokens/index.js';
import type { RefreshTokenRepository } from '../tokens/ports.js';
import type { AdminStatsRepository, UserAdminRepository } from './ports.js';
import { createSessionAdmin, type SessionAdmin } from './sessions.js';
import { createAdminStats, type AdminStatsSnapshot } from './stats.js';
import { createUserAdmin, type UserAdmin } from './users.js';

export type { Acting, UserAdmin, UserWithSessions } from './users.js';
export type { SessionAdmin } from './sessions.js';
export type { AdminStatsSnapshot } from './stats.js';

/** What the admin API adds over the capabilities' own services: accounts, sessions, the overview figures. */
export interface Admin {
  users: UserAdmin;
  sessions: SessionAdmin;
  stats: { snapshot(): Promise<AdminStatsSnapshot> };
}

export function createAdmin(deps: {
  repos: { users: UserAdminRepository; stats: AdminStatsRepository; refreshTokens: RefreshTokenRepository };
  tokens: TokenService;
  lockout: Pick<LockoutService, 'unlock'>;
  blockedIps: () => number;
  events: SecurityEvents;
  clock: Clock;
  flushEvents: () => Promise<void>;
}): Admin {
  const { repos, tokens, events, clock } = deps;
  return {
    users: createUserAdmin({ repo: repos.users, sessions: repos.refreshTokens, tokens, lockout: deps.lockout, events, clock, flushEvents: deps.flushEvents }),
    sessions: createSessionAdmin({ sessions: repos.refreshTokens, tokens, events, clock }),
    stats: createAdminStats({ repo: repos.stats, activeSessions: (now) => repos.refreshTokens.countActiveSessions(now), blockedIps: deps.blockedIps, clock }),
  };
}
