import type { Kysely } from 'kysely';
import type { Role, UserRepository } from '../../auth/ports.js';
import { isUniqueViolation } from '../errors.js';
import { precompiled } from '../precompiled.js';
import type { DB } from '../schema.js';

export function createUserRepository(db: Kysely<DB>): UserRepository {
  // GET /me runs this on every request.
  const profile = precompiled(db, 1, (id) =>
    db.selectFrom('users').select(['id', 'email', 'name', 'role', 'created_at', 'last_login_at', 'disabled_at']).where('id', '=', id),
  );
  return {
    async create(user) {
      try {
        await db.insertInto('users').values(user).execute();
        return true;
      } catch (e) {
        if (isUniqueViolation(e)) return false;
        throw e;
      }
    },
    findById: (id) => db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),
    findProfile: async (id) => (await profile(id))[0],
    findByEmail: (email) => db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst(),
    async setPasswordHash(id, hash, now, changed) {
      await db
        .updateTable('users')
        .set(changed ? { password_hash: hash, updated_at: now, password_changed_at: now } : { password_hash: hash, updated_at: now })
        .where('id', '=', id)
        .execute();
    },
    async recordLogin(id, now) {
      await db.updateTable('users').set({ last_login_at: now }).where('id', '=', id).execute();
    },
    async countByRole(role: Role) {
      const row = await db.selectFrom('users').where('role', '=', role).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async count() {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
