import type { Kysely } from 'kysely';

// Written out, not imported: a migration stays as it shipped. The bounds (ms) are those of the
// vigil_http_request_duration_seconds histogram (observability/metrics.ts).
const LATENCY_COLUMNS = ['le_5ms', 'le_10ms', 'le_25ms', 'le_50ms', 'le_100ms', 'le_250ms', 'le_500ms', 'le_1000ms', 'le_2500ms', 'le_5000ms'];

/**
 * Issue 7: an incident's public title (the status page never shows the internal one), and per
 * minute the cumulative counts of the HTTP duration histogram's buckets, so a p95 over any range
 * of minutes and instances is computed from summed buckets (not a max of per-minute p95s).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('incidents').addColumn('public_title', 'text').execute();
  // One statement per column: SQLite's ALTER TABLE adds one at a time.
  for (const column of LATENCY_COLUMNS) {
    await db.schema.alterTable('slo_minutes').addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of LATENCY_COLUMNS) await db.schema.alterTable('slo_minutes').dropColumn(column).execute();
  await db.schema.alterTable('incidents').dropColumn('public_title').execute();
}
