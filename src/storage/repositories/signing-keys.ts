import type { Kysely } from 'kysely';
import type { SigningKeyRepository } from '../../tokens/ports.js';
import type { DB } from '../schema.js';

export function createSigningKeyRepository(db: Kysely<DB>): SigningKeyRepository {
  return {
    list: () => db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'asc').execute(),
    async insert(key) {
      await db.insertInto('signing_keys').values(key).execute();
    },
    async retire(kid, now, expiresAt) {
      await db.updateTable('signing_keys').set({ retired_at: now, expires_at: expiresAt }).where('kid', '=', kid).where('retired_at', 'is', null).execute();
    },
  };
}
