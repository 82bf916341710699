import type { Kysely } from 'kysely';

/** IP blocks, account locks and instance-wide settings (emergency mode). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ip_blocks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // An address or a CIDR range in canonical form (shared/ip.ts parseTarget).
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('offence', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // NULL: until lifted by hand.
    .addColumn('expires_at', 'bigint')
    .addColumn('lifted_at', 'bigint')
    .addColumn('created_by', 'text')
    .execute();
  await db.schema.createIndex('ip_blocks_target_idx').on('ip_blocks').columns(['target', 'created_at']).execute();
  await db.schema.createIndex('ip_blocks_expires_idx').on('ip_blocks').column('expires_at').execute();

  await db.schema.alterTable('users').addColumn('locked_until', 'bigint').execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('settings').execute();
  await db.schema.alterTable('users').dropColumn('locked_until').execute();
  await db.schema.dropTable('ip_blocks').execute();
}
