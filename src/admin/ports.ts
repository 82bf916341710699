import type { Role, User } from '../auth/ports.js';

/** Account states an admin filters by: `locked` is a lock still in force, `active` neither disabled nor locked. */
export type UserStatus = 'active' | 'disabled' | 'locked';

export interface UserSearch {
  /** Part of the email or the name, case-insensitive. */
  q?: string | undefined;
  role?: Role | undefined;
  status?: UserStatus | undefined;
  /** Keyset paging: only users whose email sorts after this one. */
  afterEmail?: string | undefined;
  limit: number;
  now: number;
}

/** What a change guarded by "keep an active admin" came to. */
export type GuardedOutcome = 'ok' | 'not_found' | 'last_admin';

/** What an erasure rewrote: the user row and its tokens are gone, its events pseudonymised. */
export interface ErasureOutcome {
  outcome: GuardedOutcome;
  /** Security events rewritten (user id → pseudonym, IP and personal fields removed). */
  eventsErased: number;
  /** The user's sessions (refresh token families) whose rows were deleted, with when each last issued a token. */
  sessions: { sid: string; lastIssuedAt: number }[];
}

/**
 * The account administration the admin API needs. The changes that could leave Vigil without an
 * active admin (disable, demote, delete) are checked and applied in one transaction that locks the
 * admin rows (PostgreSQL; SQLite has one writer), so two concurrent demotions cannot both win.
 */
export interface UserAdminRepository {
  /** Ordered by email; `limit` rows at most. */
  search(query: UserSearch): Promise<User[]>;
  findById(id: string): Promise<User | undefined>;
  /** Disables (`at` a time) or enables (`null`) an account. */
  setDisabled(id: string, at: number | null, now: number): Promise<GuardedOutcome>;
  setRole(id: string, role: Role, now: number): Promise<GuardedOutcome>;
  /**
   * Deletes the user with its refresh tokens and pseudonymises its security events (see
   * docs/operations.md, "Erasure"), all in one transaction.
   */
  deleteAndErase(id: string, pseudonym: string): Promise<ErasureOutcome>;
}

export interface UserCounts {
  total: number;
  admins: number;
  disabled: number;
  /** Locks in force at `now`. */
  locked: number;
  /** Created at or after `since`. */
  created_since: number;
}

/** The aggregate queries of `GET /api/v1/admin/stats`: one statement each, on indexed columns. */
export interface AdminStatsRepository {
  userCounts(since: number, now: number): Promise<UserCounts>;
  /** Stored security events at or after `since` (of these types, when given), counted by type. */
  eventCounts(since: number, types?: readonly string[]): Promise<Record<string, number>>;
}
