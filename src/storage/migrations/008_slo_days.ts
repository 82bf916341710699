import type { Kysely } from 'kysely';

// Written out, not imported: a migration stays as it shipped. The columns of slo_minutes (005, 007).
const COUNTERS = [
  'requests', 'errors_5xx', 'errors_4xx', 'slow_500', 'slow_1000', 'login_success', 'login_failure', 'registrations', 'registration_attempts', 'token_success', 'token_failure',
  'le_5ms', 'le_10ms', 'le_25ms', 'le_50ms', 'le_100ms', 'le_250ms', 'le_500ms', 'le_1000ms', 'le_2500ms', 'le_5000ms',
];

/**
 * Issue 7: daily totals per UTC day and instance. The retention of `slo_minutes` moves a day's
 * minutes here instead of losing them, so the status page's 90 days and long SLO windows outlive
 * METRIC_AGGREGATE_RETENTION_DAYS (they are kept SLO_DAILY_RETENTION_DAYS).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  let table = db.schema
    .createTable('slo_days')
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('instance', 'text', (c) => c.notNull())
    .addColumn('minutes', 'bigint', (c) => c.notNull().defaultTo(0));
  for (const column of COUNTERS) table = table.addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0));
  await table.addPrimaryKeyConstraint('slo_days_pk', ['day', 'instance']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('slo_days').execute();
}
