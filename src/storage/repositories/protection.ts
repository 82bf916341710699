import type { Kysely } from 'kysely';
import type { AccountLockRepository, IpBlockRepository, SettingsRepository } from '../../protection/ports.js';
import type { DB } from '../schema.js';

export function createIpBlockRepository(db: Kysely<DB>): IpBlockRepository {
  return {
    async insert(block) {
      await db.insertInto('ip_blocks').values(block).execute();
    },
    listActive: (now) =>
      db
        .selectFrom('ip_blocks')
        .selectAll()
        .where('lifted_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .orderBy('created_at', 'desc')
        .execute(),
    list: (limit) => db.selectFrom('ip_blocks').selectAll().orderBy('created_at', 'desc').limit(limit).execute(),
    async countSince(target, since) {
      const row = await db
        .selectFrom('ip_blocks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('target', '=', target)
        .where('created_at', '>=', since)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async lift(target, now) {
      const result = await db
        .updateTable('ip_blocks')
        .set({ lifted_at: now })
        .where('target', '=', target)
        .where('lifted_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}

export function createAccountLockRepository(db: Kysely<DB>): AccountLockRepository {
  return {
    async lock(userId, until) {
      await db.updateTable('users').set({ locked_until: until }).where('id', '=', userId).execute();
    },
    async lockedUntil(userId) {
      const row = await db.selectFrom('users').select('locked_until').where('id', '=', userId).executeTakeFirst();
      return row?.locked_until ?? null;
    },
    async unlock(userId) {
      const result = await db.updateTable('users').set({ locked_until: null }).where('id', '=', userId).where('locked_until', 'is not', null).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    listLocked: (now) =>
      db.selectFrom('users').select(['id', 'email', 'locked_until']).where('locked_until', '>', now).orderBy('locked_until', 'desc').execute(),
    async hasSignedInFrom(userId, ip) {
      const row = await db.selectFrom('refresh_tokens').select('id').where('user_id', '=', userId).where('ip', '=', ip).limit(1).executeTakeFirst();
      return row !== undefined;
    },
  };
}

export function createSettingsRepository(db: Kysely<DB>): SettingsRepository {
  return {
    get: (key) => db.selectFrom('settings').select(['value', 'updated_at', 'updated_by']).where('key', '=', key).executeTakeFirst(),
    async set(key, value, now, by) {
      await db
        .insertInto('settings')
        .values({ key, value, updated_at: now, updated_by: by })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now, updated_by: by }))
        .execute();
    },
  };
}
