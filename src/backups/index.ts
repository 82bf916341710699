import { sql } from 'kysely';
import type { Config } from '../config/index.js';
import type { Clock } from '../shared/clock.js';
import type { Database } from '../storage/index.js';
import { MIGRATION_TABLE } from '../storage/migrations/index.js';
import { postgresEngine } from './postgres.js';
import { createBackupService, type BackupService } from './service.js';
import { sqliteEngine } from './sqlite.js';

export { BackupError } from './errors.js';
export type { BackupService, RestoreResult, VerifyResult } from './service.js';
export type { BackupManifest, BackupEntry } from './manifest.js';
export type { Check } from './engine.js';

/** The last migration applied (the schema version a backup records). */
async function schemaVersion(database: Database): Promise<string | null> {
  try {
    const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name desc limit 1`.execute(database.db);
    return rows[0]?.name ?? null;
  } catch {
    return null;
  }
}

/** Backups of the configured database (`BACKUP_DIR`, `BACKUP_RETENTION_DAYS`). */
export function createBackups(deps: { database: Database; config: Config; clock: Clock }): BackupService {
  const { database, config } = deps;
  let closed = false;
  const engine =
    database.dialect === 'sqlite'
      ? sqliteEngine({
          handle: () => database.sqlite!,
          path: config.database.kind === 'sqlite' ? config.database.path : ':memory:',
          closeLive: async () => {
            if (closed) return;
            closed = true;
            await database.close();
          },
        })
      : postgresEngine({ url: config.database.kind === 'postgres' ? config.database.url : '', pool: database.pool! });
  return createBackupService({ engine, dialect: database.dialect, dir: config.backups.dir, retentionDays: config.backups.retentionDays, clock: deps.clock, version: config.version, schemaVersion: () => schemaVersion(database) });
}
