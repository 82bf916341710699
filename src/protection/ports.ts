import type { IpBlocksTable, UsersTable } from '../storage/schema.js';

export type IpBlockRecord = IpBlocksTable;

/** Durable IP blocks; the in-memory list every request checks is loaded from here. */
export interface IpBlockRepository {
  insert(block: IpBlockRecord): Promise<void>;
  /** Blocks in force at `now` (not lifted, not expired). */
  listActive(now: number): Promise<IpBlockRecord[]>;
  /** Every block, newest first (history, for the admin API). */
  list(limit: number): Promise<IpBlockRecord[]>;
  /** Blocks of one target created at or after `since` (repeat offences). */
  countSince(target: string, since: number): Promise<number>;
  /** Lifts the active blocks of a target; returns how many. */
  lift(target: string, now: number): Promise<number>;
}

export type LockedAccount = Pick<UsersTable, 'id' | 'email' | 'locked_until'>;

/** Account locks live on the user row, so every instance sees them on the next login. */
export interface AccountLockRepository {
  lock(userId: string, until: number): Promise<void>;
  /** The lock as the database has it now (a fresh read, not a cached row). */
  lockedUntil(userId: string): Promise<number | null>;
  /** Clears a lock; returns whether the account had one. */
  unlock(userId: string): Promise<boolean>;
  listLocked(now: number): Promise<LockedAccount[]>;
  /** Whether the user has signed in from this IP before (a trusted IP). */
  hasSignedInFrom(userId: string, ip: string): Promise<boolean>;
}

/** Instance-wide settings shared through the database (emergency mode). */
export interface SettingsRepository {
  get(key: string): Promise<{ value: string; updated_at: number; updated_by: string | null } | undefined>;
  set(key: string, value: string, now: number, by: string | null): Promise<void>;
}
