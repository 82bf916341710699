import type { BackupService } from '../backups/index.js';
import type { Job } from './types.js';

/** `backup`: a backup into BACKUP_DIR, then its verification (checksum and a trial restore). */
export function backupJob(deps: { backups: BackupService }): Job {
  return {
    name: 'backup',
    description: 'Back up the database into BACKUP_DIR and verify the backup by restoring it into a temporary database',
    timeoutMs: 2 * 60 * 60_000,
    async run(ctx) {
      if (ctx.dryRun) return { dry_run: true, dir: deps.backups.dir };
      const made = await deps.backups.create({ label: 'scheduled', onProgress: (done, total) => ctx.progress(done, total, 'pages copied') });
      const verified = await deps.backups.verify(made.path);
      const stats = { file: made.file, size: made.size, sha256: made.sha256, rows: Object.values(made.row_counts).reduce((a, b) => a + b, 0), verified: verified.ok };
      if (!verified.ok) throw new Error(`backup ${made.file} failed verification: ${verified.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('; ')}`);
      return stats;
    },
  };
}
