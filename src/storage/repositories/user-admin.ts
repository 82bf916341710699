import { sql, type Kysely, type SqlBool } from 'kysely';
import type { AdminStatsRepository, GuardedOutcome, UserAdminRepository } from '../../admin/ports.js';
import type { User } from '../../auth/ports.js';
import type { Dialect } from '../db.js';
import type { DB } from '../schema.js';
import { eraseUserData, escapeLike } from './erasure.js';

const isActiveAdmin = (u: User) => u.role === 'admin' && u.disabled_at === null;

export function createUserAdminRepository(db: Kysely<DB>, dialect: Dialect): UserAdminRepository {
  /**
   * Runs `apply` unless it would leave no active admin. On PostgreSQL the active admins' rows are
   * locked first (in id order, so concurrent callers queue instead of deadlocking): a second
   * demotion waits for the first and then sees one admin fewer. SQLite has a single writer.
   */
  async function guarded(id: string, removesAdmin: (u: User) => boolean, apply: (trx: Kysely<DB>, u: User) => Promise<void>): Promise<GuardedOutcome> {
    return db.transaction().execute(async (trx) => {
      if (dialect === 'postgres') {
        await trx.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).orderBy('id').forUpdate().execute();
      }
      const user = await trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      if (!user) return 'not_found';
      if (isActiveAdmin(user) && removesAdmin(user)) {
        const others = await trx
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('role', '=', 'admin')
          .where('disabled_at', 'is', null)
          .where('id', '!=', id)
          .executeTakeFirstOrThrow();
        if (Number(others.n) === 0) return 'last_admin';
      }
      await apply(trx, user);
      return 'ok';
    });
  }

  return {
    async search({ q, role, status, afterEmail, limit, now }) {
      let query = db.selectFrom('users').selectAll();
      if (q) {
        const pattern = `%${escapeLike(q.toLowerCase())}%`;
        query = query.where(() => sql<SqlBool>`(email like ${pattern} escape '\\' or lower(name) like ${pattern} escape '\\')`);
      }
      if (role) query = query.where('role', '=', role);
      if (status === 'disabled') query = query.where('disabled_at', 'is not', null);
      else if (status === 'locked') query = query.where('locked_until', '>', now);
      else if (status === 'active') query = query.where('disabled_at', 'is', null).where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]));
      if (afterEmail !== undefined) query = query.where('email', '>', afterEmail);
      return query.orderBy('email').limit(limit).execute();
    },

    findById: (id) => db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),

    setDisabled: (id, at, now) =>
      guarded(id, () => at !== null, async (trx, user) => {
        // Disabling a disabled account keeps the time it was first disabled.
        await trx.updateTable('users').set({ disabled_at: at === null ? null : (user.disabled_at ?? at), updated_at: now }).where('id', '=', id).execute();
      }),

    setRole: (id, role, now) =>
      guarded(id, () => role !== 'admin', async (trx) => {
        await trx.updateTable('users').set({ role, updated_at: now }).where('id', '=', id).execute();
      }),

    async deleteAndErase(id, pseudonym) {
      let erased: { eventsErased: number; sessions: { sid: string; lastIssuedAt: number }[] } = { eventsErased: 0, sessions: [] };
      const outcome = await guarded(id, () => true, async (trx, user) => {
        erased = await eraseUserData(trx, { userId: id, email: user.email, pseudonym });
        await trx.deleteFrom('users').where('id', '=', id).execute();
      });
      return { outcome, ...erased };
    },
  };
}

/** Today's and the last day's figures for the admin overview, each one aggregate statement. */
export function createAdminStatsRepository(db: Kysely<DB>): AdminStatsRepository {
  return {
    async userCounts(since, now) {
      const n = (condition: ReturnType<typeof sql<SqlBool>>) => sql<number>`coalesce(sum(case when ${condition} then 1 else 0 end), 0)`;
      const row = await db
        .selectFrom('users')
        .select((eb) => [
          eb.fn.countAll<number>().as('total'),
          n(sql<SqlBool>`role = 'admin'`).as('admins'),
          n(sql<SqlBool>`disabled_at is not null`).as('disabled'),
          n(sql<SqlBool>`locked_until > ${now}`).as('locked'),
          n(sql<SqlBool>`created_at >= ${since}`).as('created_since'),
        ])
        .executeTakeFirstOrThrow();
      return { total: Number(row.total), admins: Number(row.admins), disabled: Number(row.disabled), locked: Number(row.locked), created_since: Number(row.created_since) };
    },

    async eventCounts(since, types) {
      if (types?.length === 0) return {};
      let query = db.selectFrom('security_events').select((eb) => ['type', eb.fn.countAll<number>().as('n')]).where('time', '>=', since);
      if (types) query = query.where('type', 'in', [...types]);
      const rows = await query.groupBy('type').execute();
      return Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
    },
  };
}
