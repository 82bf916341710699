import type { Kysely } from 'kysely';
import type { ActiveSession, RefreshTokenRepository } from '../../tokens/ports.js';
import type { DB } from '../schema.js';

/**
 * The live token of each session at `now`, with the session's start. During the reuse grace a
 * family can have two live tokens (two tabs refreshing at once): only the newest one is listed.
 */
function liveSessions(db: Kysely<DB>, now: number) {
  return db
    .selectFrom('refresh_tokens as r')
    .select((eb) => [
      'r.family_id as sid', 'r.user_id', 'r.parent_id', 'r.created_at as issued_at', 'r.expires_at', 'r.ip', 'r.user_agent',
      eb.selectFrom('refresh_tokens as f').select((f) => f.fn.min<number>('f.created_at').as('m')).whereRef('f.family_id', '=', 'r.family_id').as('started_at'),
    ])
    .where('r.rotated_at', 'is', null)
    .where('r.revoked_at', 'is', null)
    .where('r.expires_at', '>', now)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('refresh_tokens as s')
            .select('s.id')
            .whereRef('s.family_id', '=', 'r.family_id')
            .where('s.rotated_at', 'is', null)
            .where('s.revoked_at', 'is', null)
            .where('s.expires_at', '>', now)
            .where((s) => s.or([s('s.created_at', '>', s.ref('r.created_at')), s.and([s('s.created_at', '=', s.ref('r.created_at')), s('s.id', '>', s.ref('r.id'))])])),
        ),
      ),
    );
}

type LiveRow = { sid: string; user_id: string; parent_id: string | null; issued_at: number; expires_at: number; ip: string | null; user_agent: string | null; started_at: number | null };
const sessionOf = (r: LiveRow): ActiveSession => ({
  sid: r.sid,
  user_id: r.user_id,
  created_at: Number(r.started_at ?? r.issued_at),
  last_rotated_at: r.parent_id === null ? null : Number(r.issued_at),
  expires_at: Number(r.expires_at),
  ip: r.ip,
  user_agent: r.user_agent,
});

export function createRefreshTokenRepository(db: Kysely<DB>): RefreshTokenRepository {
  return {
    async insert(token) {
      await db.insertInto('refresh_tokens').values(token).execute();
    },
    // One UPDATE … WHERE rotated_at IS NULL … RETURNING: the row lock (PostgreSQL) or the
    // database write lock (SQLite) makes the check-and-set atomic, so only one caller wins.
    consume: (tokenHash, now) =>
      db
        .updateTable('refresh_tokens')
        .set({ rotated_at: now })
        .where('token_hash', '=', tokenHash)
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst(),
    findByHash: (tokenHash) => db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
    async revokeFamily(familyId, now, reason) {
      const result = await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: now, revoke_reason: reason })
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async revokeUserFamilies(userId, now, reason, exceptFamilyId) {
      let query = db
        .updateTable('refresh_tokens')
        .set({ revoked_at: now, revoke_reason: reason })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null);
      if (exceptFamilyId !== undefined) query = query.where('family_id', '!=', exceptFamilyId);
      const rows = await query.returning('family_id').execute();
      return [...new Set(rows.map((r) => r.family_id))];
    },
    async revokeAll(now, reason, exceptFamilyId) {
      let query = db.updateTable('refresh_tokens').set({ revoked_at: now, revoke_reason: reason }).where('revoked_at', 'is', null).where('expires_at', '>', now);
      if (exceptFamilyId !== undefined) query = query.where('family_id', '!=', exceptFamilyId);
      const rows = await query.returning('family_id').execute();
      return [...new Set(rows.map((r) => r.family_id))];
    },
    familiesRevokedSince: (since) =>
      db
        .selectFrom('refresh_tokens')
        .select((eb) => ['family_id', eb.fn.max<number>('revoked_at').as('revoked_at')])
        .where('revoked_at', '>=', since)
        .groupBy('family_id')
        .execute(),
    async isFamilyRevoked(familyId) {
      const row = await db
        .selectFrom('refresh_tokens')
        .select('revoked_at')
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is not', null)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },
    async countActiveSessions(now, userId) {
      let query = db
        .selectFrom('refresh_tokens')
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now);
      if (userId !== undefined) query = query.where('user_id', '=', userId);
      const row = await query.select((eb) => eb.fn.count<number>('family_id').distinct().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async listActiveSessions(now, { userId, limit }) {
      let query = liveSessions(db, now);
      if (userId !== undefined) query = query.where('r.user_id', '=', userId);
      const rows = await query.orderBy('r.created_at', 'desc').orderBy('r.id', 'desc').limit(limit).execute();
      return rows.map(sessionOf);
    },
    async findActiveSession(sid, now) {
      const row = await liveSessions(db, now).where('r.family_id', '=', sid).executeTakeFirst();
      return row && sessionOf(row);
    },
    async activeSessionCounts(userIds, now) {
      if (userIds.length === 0) return {};
      const rows = await db
        .selectFrom('refresh_tokens')
        .select((eb) => ['user_id', eb.fn.count<number>('family_id').distinct().as('n')])
        .where('user_id', 'in', [...userIds])
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .groupBy('user_id')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.user_id, Number(r.n)]));
    },
  };
}
