import type { RefreshTokensTable, SigningKeysTable, TokenBlacklistTable } from '../storage/schema.js';

export type RefreshTokenRecord = RefreshTokensTable;
export type BlacklistEntry = TokenBlacklistTable;
export type SigningKeyRecord = SigningKeysTable;

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
