import type { User } from '../../src/auth/ports.js';
import type { RefreshTokenRecord } from '../../src/tokens/ports.js';

/** Storage records for repository suites: fixed times, unique ids per call. */
export const T0 = 1_800_000_000_000;
let seq = 0;
export const uid = (p: string) => `${p}-${++seq}`;

export function userRecord(overrides: Partial<User> = {}): User {
  const id = uid('u');
  return {
    id,
    email: `${id}@example.com`,
    name: null,
    password_hash: '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g',
    role: 'user',
    created_at: T0,
    updated_at: T0,
    password_changed_at: T0,
    last_login_at: null,
    disabled_at: null,
    locked_until: null,
    ...overrides,
  };
}

/** A live refresh token of a session of its own unless `family_id` is given. */
export function refreshTokenRecord(userId: string, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    id: uid('rt'),
    token_hash: uid('hash'),
    user_id: userId,
    family_id: uid('fam'),
    parent_id: null,
    created_at: T0,
    expires_at: T0 + 60_000,
    rotated_at: null,
    revoked_at: null,
    revoke_reason: null,
    ip: '192.0.2.1',
    user_agent: 'test',
    ...overrides,
  };
}
