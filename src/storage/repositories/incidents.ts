import type { Kysely } from 'kysely';
import type { IncidentRepository, TimelineRecord } from '../../incidents/ports.js';
import type { DB } from '../schema.js';
import type { AlertingTables } from '../schema-alerting.js';

export function createIncidentRepository(base: Kysely<DB>): IncidentRepository {
  const db = base.withTables<AlertingTables>();
  return {
    async insert(record) {
      await db.insertInto('incidents').values({ public_title: null, ...record }).execute();
    },
    get: (id) => db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst(),
    findActive: (groupKey) =>
      db.selectFrom('incidents').selectAll().where('group_key', '=', groupKey).where('status', 'in', ['open', 'acknowledged']).orderBy('created_at', 'desc').limit(1).executeTakeFirst(),
    list({ status, since, limit }) {
      let q = db.selectFrom('incidents').selectAll();
      if (status) q = q.where('status', '=', status);
      if (since !== undefined) q = q.where('created_at', '>=', since);
      return q.orderBy('created_at', 'desc').limit(limit).execute();
    },
    async update(id, from, fields) {
      const r = await db.updateTable('incidents').set(fields).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async addTimeline(entry) {
      await db.insertInto('incident_timeline').values(entry).execute();
    },
    timeline: async (id) => (await db.selectFrom('incident_timeline').selectAll().where('incident_id', '=', id).orderBy('id').execute()) as TimelineRecord[],
  };
}
