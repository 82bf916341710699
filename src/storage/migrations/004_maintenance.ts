import type { Kysely } from 'kysely';

/**
 * Maintenance: the record of every job run, and the lease rows that let one instance at a time run
 * a job (and that mark the instances serving, so a restore can refuse while one is).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('job_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('instance', 'text', (c) => c.notNull())
    // The schedule tick this run is for (epoch ms); NULL for a run asked for by hand.
    .addColumn('tick', 'bigint')
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    // running | succeeded | failed | abandoned | dry_run
    .addColumn('status', 'text', (c) => c.notNull())
    // The job's statistics as JSON text.
    .addColumn('stats', 'text')
    .addColumn('error', 'text')
    .execute();
  // One run per job and tick, whichever instance gets there first (NULL ticks never collide).
  await db.schema.createIndex('job_runs_tick_idx').unique().on('job_runs').columns(['job', 'tick']).execute();
  await db.schema.createIndex('job_runs_job_idx').on('job_runs').columns(['job', 'started_at']).execute();

  await db.schema
    .createTable('job_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('job_leases').execute();
  await db.schema.dropTable('job_runs').execute();
}
