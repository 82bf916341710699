// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import * as m001 from './001_initial.js';
import * as m002 from './002_security_events.js';
import * as m003 from './003_protection.js';
import * as m004 from './004_maintenance.js';
import * as m005 from './005_alerting.js';
import * as m006 from './006_incidents.js';
import * as m007 from './007_status_latency.js';
import * as m008 from './008_slo_days.js';

/** Every migration, in order. Add a file and list it here; names sort as they apply. */
export const MIGRATIONS: Record<string, Migration> = {
  '001_initial': m001,
  '002_security_events': m002,
  '003_protection': m003,
  '004_maintenance': m004,
  '005_alerting': m005,
  '006_incidents': m006,
  '007_status_latency': m007,
  '008_slo_days': m008,
};

export const MIGRATION_TABLE = 'vigil_migrations';

function migrator(db: Kysely<any>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
}

export interface MigrationState {
  name: string;
  executedAt: Date | undefined;
}

/** Applies every pending migration; throws with the failing migration's name on error. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results }: MigrationResultSet = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function migrationStatus(db: Kysely<any>): Promise<MigrationState[]> {
  const list = await migrator(db).getMigrations();
  return list.map((m) => ({ name: m.name, executedAt: m.executedAt }));
}

/** True when every known migration has been applied (readiness uses this). */
export async function migrationsCurrent(db: Kysely<any>): Promise<boolean> {
  return (await migrationStatus(db)).every((m) => m.executedAt !== undefined);
}
