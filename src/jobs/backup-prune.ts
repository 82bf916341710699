import type { BackupService } from '../backups/index.js';
import type { Job } from './types.js';

/** `backup-prune`: deletes backups older than BACKUP_RETENTION_DAYS (seed 000 §8's `find -mtime +30 -delete`). */
export function backupPruneJob(deps: { backups: BackupService }): Job {
  return {
    name: 'backup-prune',
    description: 'Delete backups older than BACKUP_RETENTION_DAYS',
    timeoutMs: 10 * 60_000,
    async run(ctx) {
      const result = await deps.backups.prune({ dryRun: ctx.dryRun });
      return ctx.dryRun ? { would_delete: result.deleted, kept: result.kept, retention_days: result.retention_days, dry_run: true } : result;
    },
  };
}
