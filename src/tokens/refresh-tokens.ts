import type { Clock } from '../shared/clock.js';
import { newId, randomToken, sha256 } from '../shared/crypto.js';
import type { RefreshTokenRecord, RefreshTokenRepository } from './ports.js';

export interface ClientMeta {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export type RefreshFailure = 'unknown' | 'expired' | 'revoked' | 'reused';

export type RotationResult =
  | { ok: true; token: string; record: RefreshTokenRecord; graced: boolean }
  | { ok: false; reason: RefreshFailure; record?: RefreshTokenRecord };

/**
 * Opaque refresh tokens: 256 random bits, stored as SHA-256, rotated on every use. A family is
 * one session. Reusing a rotated token revokes the family, except within a short grace window
 * after its rotation, where concurrent clients (two tabs) racing with one token both succeed.
 */
export interface RefreshTokens {
  /** Starts a new session (family) for a user. */
  issue(userId: string, meta: ClientMeta): Promise<{ token: string; record: RefreshTokenRecord }>;
  rotate(token: string, meta: ClientMeta): Promise<RotationResult>;
  /** Looks a token up without changing it (introspection). */
  find(token: string): Promise<RefreshTokenRecord | undefined>;
}

export function createRefreshTokens(deps: { repo: RefreshTokenRepository; clock: Clock; ttlMs: number; reuseGraceMs: number }): RefreshTokens {
  const { repo, clock } = deps;

  async function store(userId: string, familyId: string, parentId: string | null, meta: ClientMeta) {
    const token = randomToken(32);
    const now = clock.now();
    const record: RefreshTokenRecord = {
      id: newId(),
      token_hash: sha256(token),
      user_id: userId,
      family_id: familyId,
      parent_id: parentId,
      created_at: now,
      expires_at: now + deps.ttlMs,
      rotated_at: null,
      revoked_at: null,
      revoke_reason: null,
      ip: meta.ip ?? null,
      user_agent: meta.userAgent?.slice(0, 512) ?? null,
    };
    await repo.insert(record);
    return { token, record };
  }

  return {
    issue: (userId, meta) => store(userId, newId(), null, meta),

    async rotate(token, meta) {
      const hash = sha256(token);
      const now = clock.now();
      const consumed = await repo.consume(hash, now);
      if (consumed) {
        const next = await store(consumed.user_id, consumed.family_id, consumed.id, meta);
        return { ok: true, ...next, graced: false };
      }
      const record = await repo.findByHash(hash);
      if (!record) return { ok: false, reason: 'unknown' };
      if (record.revoked_at !== null) return { ok: false, reason: 'revoked', record };
      if (record.expires_at <= now) return { ok: false, reason: 'expired', record };
      if (record.rotated_at !== null && now - record.rotated_at <= deps.reuseGraceMs) {
        const sibling = await store(record.user_id, record.family_id, record.id, meta);
        return { ok: true, ...sibling, graced: true };
      }
      await repo.revokeFamily(record.family_id, now, 'refresh_token_reuse');
      return { ok: false, reason: 'reused', record };
    },

    find: (token) => repo.findByHash(sha256(token)),
  };
}
