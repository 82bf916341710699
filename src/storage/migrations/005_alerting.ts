import { SqliteAdapter, type Kysely } from 'kysely';

/**
 * Alerting: alert history (one row per alert instance, open while firing), silences, the durable
 * notification outbox (its id orders delivery), and per-minute aggregates for SLO reports.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  const serial = (name: string) => (t: ReturnType<Kysely<unknown>['schema']['createTable']>) =>
    t.addColumn(name, sqlite ? 'integer' : 'bigint', (c) => (sqlite ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity()));

  await db.schema
    .createTable('alert_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('annotations', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('active_at', 'bigint', (c) => c.notNull())
    .addColumn('fired_at', 'bigint', (c) => c.notNull())
    // NULL while firing.
    .addColumn('resolved_at', 'bigint')
    .execute();
  await db.schema.createIndex('alert_history_fired_idx').on('alert_history').column('fired_at').execute();
  await db.schema.createIndex('alert_history_open_idx').on('alert_history').columns(['resolved_at', 'fingerprint']).execute();

  await db.schema
    .createTable('alert_silences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // [{name, value, op}] as JSON text.
    .addColumn('matchers', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('ends_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await serial('id')(db.schema.createTable('alert_outbox'))
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('receiver', 'text', (c) => c.notNull())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // The receiver-neutral message (Alertmanager's webhook fields) as JSON text.
    .addColumn('payload', 'text', (c) => c.notNull())
    // pending | sent | dead
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    // A worker's claim: other workers leave the row alone until then (crash → another takes it).
    .addColumn('locked_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('alert_outbox_due_idx').on('alert_outbox').columns(['status', 'next_attempt_at']).execute();

  await db.schema
    .createTable('slo_minutes')
    .addColumn('minute', 'bigint', (c) => c.notNull())
    .addColumn('instance', 'text', (c) => c.notNull())
    .addColumn('requests', 'bigint', (c) => c.notNull())
    .addColumn('errors_5xx', 'bigint', (c) => c.notNull())
    .addColumn('errors_4xx', 'bigint', (c) => c.notNull())
    .addColumn('slow_500', 'bigint', (c) => c.notNull())
    .addColumn('slow_1000', 'bigint', (c) => c.notNull())
    .addColumn('login_success', 'bigint', (c) => c.notNull())
    .addColumn('login_failure', 'bigint', (c) => c.notNull())
    .addColumn('registrations', 'bigint', (c) => c.notNull())
    .addColumn('registration_attempts', 'bigint', (c) => c.notNull())
    .addColumn('token_success', 'bigint', (c) => c.notNull())
    .addColumn('token_failure', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('slo_minutes_pk', ['minute', 'instance'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['slo_minutes', 'alert_outbox', 'alert_silences', 'alert_history']) await db.schema.dropTable(t).execute();
}
