import type { Generated } from 'kysely';

/**
 * Table shapes as Kysely sees them. Times are epoch milliseconds (BIGINT on PostgreSQL, INTEGER
 * on SQLite), identifiers are text, "flags" are nullable timestamps (revoked_at, disabled_at).
 */
export interface UsersTable {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  role: 'user' | 'admin';
  created_at: number;
  updated_at: number;
  password_changed_at: number;
  last_login_at: number | null;
  disabled_at: number | null;
  /** Set while the account is locked after repeated failed logins. */
  locked_until: number | null;
}

export interface RefreshTokensTable {
  id: string;
  token_hash: string;
  user_id: string;
  /** The session: every token rotated from one login shares it. Access tokens carry it as `sid`. */
  family_id: string;
  parent_id: string | null;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
  revoke_reason: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface TokenBlacklistTable {
  jti: string;
  user_id: string | null;
  expires_at: number;
  reason: string;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scope: 'public' | 'admin';
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
  created_by: string | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** The private key, PKCS#8 PEM encrypted with AES-256-GCM (see tokens/key-encryption.ts). */
  private_key: string;
  created_at: number;
  /** Set when a newer key takes over signing; the public key stays in JWKS until expires_at. */
  retired_at: number | null;
  expires_at: number | null;
}

export interface IpBlocksTable {
  id: string;
  target: string;
  reason: string;
  source: 'auto' | 'manual';
  /** 1 for a first block; repeat offenders get longer ones. */
  offence: number;
  created_at: number;
  expires_at: number | null;
  lifted_at: number | null;
  created_by: string | null;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
  updated_by: string | null;
}

/** The security event log (security-monitoring/event-store.ts writes it in batches). */
export interface SecurityEventsTable {
  /** Assigned by the database, increasing in insert order. */
  id: Generated<number>;
  time: number;
  type: string;
  severity: string;
  ip: string | null;
  user_id: string | null;
  request_id: string | null;
  /** The event's typed details as JSON text. */
  details: string;
}

export interface DB {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  token_blacklist: TokenBlacklistTable;
  api_keys: ApiKeysTable;
  signing_keys: SigningKeysTable;
  security_events: SecurityEventsTable;
  ip_blocks: IpBlocksTable;
  settings: SettingsTable;
}
