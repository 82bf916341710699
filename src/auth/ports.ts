import type { ApiKeysTable, UsersTable } from '../storage/schema.js';

export type User = UsersTable;
export type Role = User['role'];
/** A user without credentials or bookkeeping: what GET /me reads on every request. */
export type UserProfile = Pick<User, 'id' | 'email' | 'name' | 'role' | 'created_at' | 'last_login_at' | 'disabled_at'>;
export type ApiKeyRecord = ApiKeysTable;
export type ApiKeyScope = ApiKeyRecord['scope'];

/** Storage of user accounts. Emails are stored lower-cased; lookups expect a lower-cased email. */
export interface UserRepository {
  /** Inserts a user; returns false (and writes nothing) when the email is already taken. */
  create(user: User): Promise<boolean>;
  findById(id: string): Promise<User | undefined>;
  findProfile(id: string): Promise<UserProfile | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  /** Stores a new hash. `changed` marks a password change (not a parameter upgrade). */
  setPasswordHash(id: string, hash: string, now: number, changed: boolean): Promise<void>;
  recordLogin(id: string, now: number): Promise<void>;
  countByRole(role: Role): Promise<number>;
  count(): Promise<number>;
}

/** Storage of API keys; only hashes are stored. */
export interface ApiKeyRepository {
  insert(key: ApiKeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Revokes by id or by prefix; returns the revoked record, or undefined when none was active. */
  revoke(idOrPrefix: string, now: number): Promise<ApiKeyRecord | undefined>;
  touch(id: string, now: number): Promise<void>;
}
