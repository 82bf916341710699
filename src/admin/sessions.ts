import { AppError } from '../errors/index.js';
import type { SecurityEvents } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import type { TokenService } from '../tokens/index.js';
import type { ActiveSession, RefreshTokenRepository } from '../tokens/ports.js';
import type { Acting } from './users.js';

/** Sessions (refresh token families) for the admin API. */
export interface SessionAdmin {
  list(filter: { userId?: string | undefined; limit: number }): Promise<ActiveSession[]>;
  /** Revokes one session: its refresh tokens, and its access tokens within about a second everywhere. */
  revoke(sid: string, by: Acting): Promise<ActiveSession>;
}

export function createSessionAdmin(deps: {
  sessions: Pick<RefreshTokenRepository, 'listActiveSessions' | 'findActiveSession'>;
  tokens: Pick<TokenService, 'revokeSession'>;
  events: SecurityEvents;
  clock: Clock;
}): SessionAdmin {
  return {
    list: (filter) => deps.sessions.listActiveSessions(deps.clock.now(), filter),
    async revoke(sid, by) {
      const session = await deps.sessions.findActiveSession(sid, deps.clock.now());
      if (!session) throw new AppError('not_found', 'No active session with this id');
      await deps.tokens.revokeSession(sid, 'admin_revoked');
      deps.events.emit('ADMIN_ACTION', by.ctx, { action: 'session_revoke', target: sid, actor: by.actor });
      return session;
    },
  };
}
