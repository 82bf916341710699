import type { Role, User } from '../auth/ports.js';
import { AppError } from '../errors/index.js';
import type { LockoutService } from '../protection/lockout.js';
import type { EventContext, SecurityEvents } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import type { TokenService } from '../tokens/index.js';
import type { ActiveSession, RefreshTokenRepository } from '../tokens/ports.js';
import { newPseudonym } from './erasure.js';
import type { GuardedOutcome, UserAdminRepository, UserSearch } from './ports.js';

/** Who acts: the ADMIN_ACTION actor (`user:<id>` or `api_key:<name>`), the admin's own user id, the request. */
export interface Acting {
  actor: string;
  /** The acting admin's user id; undefined for an API key. */
  selfId: string | undefined;
  ctx: EventContext;
}

export type UserWithSessions = User & { active_sessions: number };

/** Account administration for the admin API: every change records an ADMIN_ACTION naming the actor. */
export interface UserAdmin {
  search(query: Omit<UserSearch, 'now'>): Promise<UserWithSessions[]>;
  get(id: string): Promise<{ user: UserWithSessions; sessions: ActiveSession[] }>;
  /** Disables the account and revokes its sessions; returns how many. */
  disable(id: string, by: Acting): Promise<{ user: UserWithSessions; sessions_revoked: number }>;
  enable(id: string, by: Acting): Promise<UserWithSessions>;
  unlock(id: string, by: Acting): Promise<boolean>;
  revokeSessions(id: string, by: Acting): Promise<number>;
  /** A demotion also revokes the sessions: access tokens carry the role. */
  setRole(id: string, role: Role, by: Acting): Promise<{ user: UserWithSessions; sessions_revoked: number }>;
  /** Deletes the account and erases its personal data; returns the events rewritten and the pseudonym used. */
  delete(id: string, by: Acting): Promise<{ events_erased: number; pseudonym: string }>;
}

export function createUserAdmin(deps: {
  repo: UserAdminRepository;
  sessions: Pick<RefreshTokenRepository, 'activeSessionCounts' | 'listActiveSessions'>;
  tokens: Pick<TokenService, 'revokeUserSessions' | 'revokeDeletedSessions'>;
  lockout: Pick<LockoutService, 'unlock'>;
  events: SecurityEvents;
  clock: Clock;
  /** Stores the security events still queued, so an erasure reaches them too. */
  flushEvents: () => Promise<void>;
  /** How many sessions a user page shows at most. */
  sessionsPerUser?: number;
}): UserAdmin {
  const { repo, events, clock, tokens } = deps;

  const withCounts = async (users: User[]): Promise<UserWithSessions[]> => {
    const counts = await deps.sessions.activeSessionCounts(users.map((u) => u.id), clock.now());
    return users.map((u) => ({ ...u, active_sessions: counts[u.id] ?? 0 }));
  };
  const load = async (id: string): Promise<UserWithSessions> => {
    const user = await repo.findById(id);
    if (!user) throw new AppError('not_found', 'No such user');
    return (await withCounts([user]))[0]!;
  };
  const record = (by: Acting, action: string, target: string) => events.emit('ADMIN_ACTION', by.ctx, { action, target, actor: by.actor });
  /** An admin may not disable, demote or delete itself: another admin (or an admin API key) must. */
  const notSelf = (id: string, by: Acting, what: string) => {
    if (by.selfId === id) throw new AppError('conflict', `An administrator cannot ${what} its own account; ask another administrator or use an admin API key`);
  };
  const check = (outcome: GuardedOutcome, what: string) => {
    if (outcome === 'not_found') throw new AppError('not_found', 'No such user');
    if (outcome === 'last_admin') throw new AppError('conflict', `Refusing to ${what} the last active administrator; promote another account first`);
  };

  return {
    async search(query) {
      return withCounts(await repo.search({ ...query, now: clock.now() }));
    },

    async get(id) {
      const user = await load(id);
      return { user, sessions: await deps.sessions.listActiveSessions(clock.now(), { userId: id, limit: deps.sessionsPerUser ?? 100 }) };
    },

    async disable(id, by) {
      notSelf(id, by, 'disable');
      check(await repo.setDisabled(id, clock.now(), clock.now()), 'disable');
      const revoked = await tokens.revokeUserSessions(id, 'user_disabled');
      record(by, 'user_disable', id);
      return { user: await load(id), sessions_revoked: revoked };
    },

    async enable(id, by) {
      check(await repo.setDisabled(id, null, clock.now()), 'enable');
      record(by, 'user_enable', id);
      return load(id);
    },

    async unlock(id, by) {
      const user = await repo.findById(id);
      if (!user) throw new AppError('not_found', 'No such user');
      // Records ACCOUNT_UNLOCKED and ADMIN_ACTION (account_unlock) when there was a lock to end.
      return deps.lockout.unlock(user, by.ctx, by.actor);
    },

    async revokeSessions(id, by) {
      await load(id);
      const revoked = await tokens.revokeUserSessions(id, 'admin_revoked');
      record(by, 'user_revoke_sessions', id);
      return revoked;
    },

    async setRole(id, role, by) {
      if (role !== 'admin') notSelf(id, by, 'demote');
      const before = await repo.findById(id);
      check(await repo.setRole(id, role, clock.now()), 'demote');
      const demoted = before?.role === 'admin' && role !== 'admin';
      const revoked = demoted ? await tokens.revokeUserSessions(id, 'role_changed') : 0;
      record(by, role === 'admin' ? 'user_promote' : 'user_demote', id);
      return { user: await load(id), sessions_revoked: revoked };
    },

    async delete(id, by) {
      notSelf(id, by, 'delete');
      // Events of this user still queued are stored first, or they would be written after the erasure.
      await deps.flushEvents();
      const pseudonym = newPseudonym();
      const erased = await repo.deleteAndErase(id, pseudonym);
      check(erased.outcome, 'delete');
      await tokens.revokeDeletedSessions(erased.sessions, 'user_deleted');
      // The record of the deletion names the pseudonym, never the erased id.
      record(by, 'user_delete', pseudonym);
      return { events_erased: erased.eventsErased, pseudonym };
    },
  };
}
