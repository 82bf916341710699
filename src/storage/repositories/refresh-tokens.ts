import type { Kysely } from 'kysely';
import type { RefreshTokenRepository } from '../../tokens/ports.js';
import type { DB } from '../schema.js';

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
  };
}
