import type { ApiKeyRecord, UserProfile } from './ports.js';

/** A user as the API shows it: never the hash. */
export interface UserView {
  id: string;
  email: string;
  name: string | null;
  role: string;
  created_at: string;
  last_login_at: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const userView = (u: Omit<UserProfile, 'disabled_at'>): UserView => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  created_at: new Date(u.created_at).toISOString(),
  last_login_at: iso(u.last_login_at),
});

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scope: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export const apiKeyView = (k: ApiKeyRecord): ApiKeyView => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scope: k.scope,
  created_at: new Date(k.created_at).toISOString(),
  expires_at: iso(k.expires_at),
  last_used_at: iso(k.last_used_at),
  revoked_at: iso(k.revoked_at),
});
