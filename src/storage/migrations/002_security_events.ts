import { SqliteAdapter, type Kysely } from 'kysely';

/**
 * The security event log. `id` orders events as they were stored: keyset pagination and
 * `vigil events tail --follow` walk it. SQLite's AUTOINCREMENT never reuses an id (a plain
 * rowid may, after the newest rows are deleted); PostgreSQL uses an identity column.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  await db.schema
    .createTable('security_events')
    .addColumn('id', sqlite ? 'integer' : 'bigint', (c) => (sqlite ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity()))
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_id', 'text')
    .addColumn('request_id', 'text')
    // The typed details as JSON text (not jsonb: PostgreSQL's jsonb refuses \u0000, which an attacker can put in an email).
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  // Listing is newest first by (time, id), each filter with a time range, so every index ends with
  // the id and a page continues from its cursor without a sort. SQLite appends the rowid (the id)
  // to every index by itself; naming it again would only make each insert slower.
  const index = (name: string, columns: string[]) =>
    db.schema.createIndex(name).on('security_events').columns(sqlite ? columns : [...columns, 'id']).execute();
  await index('security_events_time_idx', ['time']);
  await index('security_events_type_time_idx', ['type', 'time']);
  await index('security_events_ip_time_idx', ['ip', 'time']);
  await index('security_events_user_time_idx', ['user_id', 'time']);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('security_events').execute();
}
