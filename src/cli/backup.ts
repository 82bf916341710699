import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { BackupError, createBackups, type BackupService, type Check } from '../backups/index.js';
import type { Config } from '../config/index.js';
import { PRESENCE_PREFIX } from '../jobs/presence.js';
import { systemClock } from '../shared/clock.js';
import type { Database } from '../storage/index.js';
import { tableExists } from '../jobs/retention.js';
import { createLeaseRepository } from '../storage/repositories/leases.js';
import type { MaintenanceDB } from '../storage/schema-maintenance.js';
import { CliError, EXIT, formatTime, loadCliConfig, printJson, table, withDatabase, type CliIo, type GlobalOptions } from './context.js';
import { cliProgress } from './progress.js';

const mb = (n: number) => `${(n / 1_048_576).toFixed(2)} MB`;

/** Runs `fn` with the backup service over the configured database; BackupErrors keep their words. */
async function withBackups<T>(io: CliIo, cmd: Command, fn: (backups: BackupService, database: Database, config: Config) => Promise<T>): Promise<T> {
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  const config = loadCliConfig(io, globals);
  return withDatabase(config, async (database) => {
    try {
      return await fn(createBackups({ database, config, clock: systemClock }), database, config);
    } catch (e) {
      if (e instanceof BackupError) throw new CliError(`error: ${e.message}`, EXIT.failure);
      throw e;
    }
  });
}

function printChecks(io: CliIo, file: string, ok: boolean, checks: Check[]) {
  io.stdout.write(`${file}\n`);
  for (const c of checks) io.stdout.write(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}\n`);
  io.stdout.write(ok ? 'Backup verified.\n' : 'Backup verification FAILED.\n');
}

/** Vigil instances holding their presence lease in this database. */
async function instancesUsing(database: Database, now: number): Promise<{ holder: string; expires_at: number }[]> {
  if (!(await tableExists(database.db as unknown as Kysely<unknown>, database.dialect, 'job_leases'))) return [];
  return createLeaseRepository(database.db as unknown as Kysely<MaintenanceDB>).active(PRESENCE_PREFIX, now);
}

/** `vigil backup create|list|verify|prune|restore`. */
export function registerBackup(program: Command, io: CliIo): void {
  const backup = program.command('backup').description('Back up, verify and restore the database');

  backup
    .command('create')
    .description('Write a consistent backup (SQLite online backup, gzipped; PostgreSQL pg_dump custom format) with a manifest')
    .option('--out <dir>', 'write it there instead of BACKUP_DIR')
    .option('--json', 'print the manifest as JSON')
    .action(async (opts: { out?: string; json?: boolean }, cmd: Command) => {
      await withBackups(io, cmd, async (backups) => {
        const progress = cliProgress(io.stderr);
        const made = await backups.create({ ...(opts.out ? { dir: resolve(opts.out) } : {}), onProgress: (d, t) => progress.update(d, t, 'pages') });
        progress.end();
        if (opts.json) printJson(io.stdout, made);
        else io.stdout.write(`Backup created: ${made.path}\n  ${mb(made.size)}, sha256 ${made.sha256}\n  ${Object.values(made.row_counts).reduce((a, b) => a + b, 0)} rows in ${Object.keys(made.row_counts).length} tables, schema ${made.schema_version ?? 'unknown'}\n`);
      });
    });

  backup
    .command('list')
    .description('The backups in BACKUP_DIR, newest first')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withBackups(io, cmd, async (backups) => {
        const list = await backups.list();
        if (opts.json) {
          printJson(io.stdout, list.map((b) => ({ file: b.file, path: b.path, size: b.size, created_at: new Date(b.created_at).toISOString(), manifest: b.manifest ?? null })));
          return;
        }
        if (list.length === 0) io.stdout.write(`No backups in ${backups.dir}.\n`);
        else io.stdout.write(table([['FILE', 'CREATED', 'SIZE', 'LABEL', 'ROWS'], ...list.map((b) => [b.file, formatTime(b.created_at), mb(b.size), b.manifest?.label ?? '(no manifest)', b.manifest ? String(Object.values(b.manifest.row_counts).reduce((a, c) => a + c, 0)) : '-'])]));
      });
    });

  backup
    .command('verify')
    .description('Check a backup: checksum, then a restore into a temporary database, integrity and row counts (exit 1 if it fails)')
    .argument('[file]', 'a file name in BACKUP_DIR or a path')
    .option('--latest', 'the newest backup')
    .option('--json', 'print machine-readable JSON')
    .action(async (file: string | undefined, opts: { latest?: boolean; json?: boolean }, cmd: Command) => {
      if (!file && !opts.latest) throw new CliError('error: name a backup file or pass --latest', EXIT.usage);
      await withBackups(io, cmd, async (backups) => {
        const result = await backups.verify(opts.latest ? 'latest' : file!);
        if (opts.json) printJson(io.stdout, result);
        else printChecks(io, result.file, result.ok, result.checks);
        if (!result.ok) throw new CliError(undefined, EXIT.failure);
      });
    });

  backup
    .command('prune')
    .description('Delete backups older than BACKUP_RETENTION_DAYS')
    .option('--dry-run', 'list what would be deleted')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      await withBackups(io, cmd, async (backups) => {
        const result = await backups.prune({ dryRun: opts.dryRun === true });
        if (opts.json) printJson(io.stdout, { ...result, dry_run: opts.dryRun === true });
        else {
          for (const f of result.deleted) io.stdout.write(`${opts.dryRun ? 'would delete' : 'deleted'} ${f}\n`);
          io.stdout.write(`${result.deleted.length} backup(s) older than ${result.retention_days} days ${opts.dryRun ? 'would be ' : ''}deleted, ${result.kept} kept.\n`);
        }
      });
    });

  backup
    .command('restore')
    .description('Replace the database with a backup: verifies it, takes a safety backup first, checks the result')
    .argument('<file>', 'a file name in BACKUP_DIR, a path, or "latest"')
    .option('--force', 'restore even while a Vigil instance is using the database')
    .option('--json', 'print machine-readable JSON')
    .action(async (file: string, opts: { force?: boolean; json?: boolean }, cmd: Command) => {
      await withBackups(io, cmd, async (backups, database) => {
        const using = await instancesUsing(database, Date.now());
        if (using.length > 0 && !opts.force) {
          throw new CliError(
            `error: the database is in use by ${using.length} Vigil instance(s): ${using.map((u) => u.holder).join(', ')}. Stop them first (or pass --force to restore anyway).`,
            EXIT.failure,
          );
        }
        const result = await backups.restore(file);
        if (opts.json) printJson(io.stdout, result);
        else {
          io.stdout.write(`Safety backup of the database before the restore: ${result.safety_backup}\n`);
          io.stdout.write(`Restored ${result.file}: ${Object.values(result.row_counts).reduce((a, b) => a + b, 0)} rows in ${Object.keys(result.row_counts).length} tables.\n`);
          io.stdout.write(`  ${result.verify.ok ? 'ok  ' : 'FAIL'}  ${result.verify.name}: ${result.verify.detail}\n`);
        }
        if (!result.verify.ok) throw new CliError(undefined, EXIT.failure);
      });
    });
}
