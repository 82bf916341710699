import type { Kysely } from 'kysely';
import type { ApiKeyRepository } from '../../auth/ports.js';
import type { DB } from '../schema.js';

export function createApiKeyRepository(db: Kysely<DB>): ApiKeyRepository {
  return {
    async insert(key) {
      await db.insertInto('api_keys').values(key).execute();
    },
    findByHash: (keyHash) => db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst(),
    list: () => db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').execute(),
    revoke: (idOrPrefix, now) =>
      db
        .updateTable('api_keys')
        .set({ revoked_at: now })
        .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('prefix', '=', idOrPrefix)]))
        .where('revoked_at', 'is', null)
        .returningAll()
        .executeTakeFirst(),
    async touch(id, now) {
      await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
    },
  };
}
