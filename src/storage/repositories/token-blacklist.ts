import type { Kysely } from 'kysely';
import type { BlacklistRepository } from '../../tokens/ports.js';
import type { DB } from '../schema.js';

export function createBlacklistRepository(db: Kysely<DB>): BlacklistRepository {
  return {
    async add(entry) {
      await db.insertInto('token_blacklist').values(entry).onConflict((oc) => oc.column('jti').doNothing()).execute();
    },
    listActive: (now) => db.selectFrom('token_blacklist').select(['jti', 'expires_at']).where('expires_at', '>', now).execute(),
    async stats(now) {
      // One pass: SUM(CASE…) works on both dialects (COUNT … FILTER is PostgreSQL-only).
      const row = await db
        .selectFrom('token_blacklist')
        .select((eb) => [
          eb.fn.countAll<number>().as('total'),
          eb.fn.sum<number>(eb.case().when('expires_at', '<=', now).then(1).else(0).end()).as('expired'),
          eb.fn.min<number>(eb.case().when('expires_at', '<=', now).then(eb.ref('expires_at')).end()).as('oldest_expired'),
        ])
        .executeTakeFirstOrThrow();
      const total = Number(row.total);
      const expired = Number(row.expired ?? 0);
      return { total, active: total - expired, expired, oldest_expired: row.oldest_expired === null ? null : Number(row.oldest_expired) };
    },
  };
}
