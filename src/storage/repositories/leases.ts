import type { Kysely } from 'kysely';
import type { LeaseRepository } from '../../jobs/ports.js';
import type { MaintenanceDB } from '../schema-maintenance.js';

/**
 * Lease rows. Taking one is a single upsert that only overwrites an expired row, so two instances
 * racing for it cannot both win, on SQLite or PostgreSQL.
 */
export function createLeaseRepository(db: Kysely<MaintenanceDB>): LeaseRepository {
  return {
    async acquire(name, holder, now, ttlMs) {
      const result = await db
        .insertInto('job_leases')
        .values({ name, holder, acquired_at: now, expires_at: now + ttlMs })
        .onConflict((oc) => oc.column('name').doUpdateSet({ holder, acquired_at: now, expires_at: now + ttlMs }).where('job_leases.expires_at', '<=', now))
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async renew(name, holder, now, ttlMs) {
      const result = await db
        .updateTable('job_leases')
        .set({ expires_at: now + ttlMs })
        .where('name', '=', name)
        .where('holder', '=', holder)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async release(name, holder) {
      await db.deleteFrom('job_leases').where('name', '=', name).where('holder', '=', holder).execute();
    },
    active: (prefix, now) =>
      db.selectFrom('job_leases').select(['name', 'holder', 'acquired_at', 'expires_at']).where('name', 'like', `${prefix}%`).where('expires_at', '>', now).orderBy('name').execute(),
  };
}
