import { SqliteAdapter, type Kysely } from 'kysely';

/** P0–P3 incidents and their append-only timelines. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    // open | acknowledged | resolved | closed
    .addColumn('status', 'text', (c) => c.notNull())
    // Alerts of the same group (alertname) join an open incident.
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('acknowledged_by', 'text')
    .addColumn('resolved_at', 'bigint')
    .addColumn('closed_at', 'bigint')
    .addColumn('escalations', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_escalated_at', 'bigint')
    // The postmortem's fields as JSON text; NULL until written.
    .addColumn('postmortem', 'text')
    .execute();
  await db.schema.createIndex('incidents_status_idx').on('incidents').columns(['status', 'group_key']).execute();
  await db.schema.createIndex('incidents_created_idx').on('incidents').column('created_at').execute();
  await db.schema
    .createTable('incident_timeline')
    .addColumn('id', sqlite ? 'integer' : 'bigint', (c) => (sqlite ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity()))
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('incident_timeline_incident_idx').on('incident_timeline').columns(['incident_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('incident_timeline').execute();
  await db.schema.dropTable('incidents').execute();
}
