import type { RefreshTokensTable, SigningKeysTable, TokenBlacklistTable } from '../storage/schema.js';

export type RefreshTokenRecord = RefreshTokensTable;
export type BlacklistEntry = TokenBlacklistTable;
export type SigningKeyRecord = SigningKeysTable;

/** A session as the admin API lists it: a refresh token family with a live token. */
export interface ActiveSession {
  /** The family id; access tokens carry it as `sid`. */
  sid: string;
  user_id: string;
  /** When the session began (its first token, at login). */
  created_at: number;
  /** When its live token was issued by a refresh; null before the first refresh. */
  last_rotated_at: number | null;
  expires_at: number;
  /** The client of the latest login or refresh. */
  ip: string | null;
  user_agent: string | null;
}

export interface RefreshTokenRepository {
  insert(token: RefreshTokenRecord): Promise<void>;
  /**
   * Atomically marks an active token (not rotated, not revoked, not expired at `now`) as rotated
   * and returns it. Of any number of concurrent calls with one hash, exactly one gets the record.
   */
  consume(tokenHash: string, now: number): Promise<RefreshTokenRecord | undefined>;
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Revokes every live token of a family; returns how many rows it changed. */
  revokeFamily(familyId: string, now: number, reason: string): Promise<number>;
  /** Revokes every live family of a user but `exceptFamilyId`; returns the revoked family ids. */
  revokeUserFamilies(userId: string, now: number, reason: string, exceptFamilyId?: string): Promise<string[]>;
  /** Revokes every live family but `exceptFamilyId` (emergency mode); returns the revoked family ids. */
  revokeAll(now: number, reason: string, exceptFamilyId?: string): Promise<string[]>;
  /** Families revoked at or after `since`, with the latest revocation time of each. */
  familiesRevokedSince(since: number): Promise<{ family_id: string; revoked_at: number }[]>;
  /** Whether a family still has a live token (used by introspection of access tokens). */
  isFamilyRevoked(familyId: string): Promise<boolean>;
  countActiveSessions(now: number, userId?: string): Promise<number>;
  /** Sessions with a live token at `now`, the most recently refreshed first. */
  listActiveSessions(now: number, filter: { userId?: string | undefined; limit: number }): Promise<ActiveSession[]>;
  findActiveSession(sid: string, now: number): Promise<ActiveSession | undefined>;
  /** Live sessions per user, for the given users (absent: none). */
  activeSessionCounts(userIds: readonly string[], now: number): Promise<Record<string, number>>;
}

export interface BlacklistStats {
  total: number;
  active: number;
  expired: number;
  oldest_expired: number | null;
}

export interface BlacklistRepository {
  /** Adds a revoked jti; adding one twice keeps the first. */
  add(entry: BlacklistEntry): Promise<void>;
  /** Entries that have not expired at `now` (loaded into the in-memory revocation list). */
  listActive(now: number): Promise<Pick<BlacklistEntry, 'jti' | 'expires_at'>[]>;
  stats(now: number): Promise<BlacklistStats>;
}

export interface SigningKeyRepository {
  list(): Promise<SigningKeyRecord[]>;
  insert(key: SigningKeyRecord): Promise<void>;
  /** Stops a key signing; its public part stays published until `expiresAt`. */
  retire(kid: string, now: number, expiresAt: number): Promise<void>;
}
