import type { Kysely } from 'kysely';
import type { BackupService } from '../backups/index.js';
import type { Config } from '../config/index.js';
import type { ReportSources } from '../reports/build.js';
import type { WrittenReport } from '../reports/writer.js';
import type { Dialect } from '../storage/index.js';
import { backupJob } from './backup.js';
import { backupPruneJob } from './backup-prune.js';
import { cleanupRefreshTokensJob } from './cleanup-refresh-tokens.js';
import { cleanupTokensJob } from './cleanup-tokens.js';
import { metricAggregatesJob } from './metric-aggregates.js';
import { reportJob } from './report.js';
import { retentionJob } from './retention.js';
import type { Job } from './types.js';

/** Every maintenance job, in one list (their schedules come from JOB_<NAME>_CRON). */
export function createJobs(deps: {
  config: Config;
  db: Kysely<unknown>;
  dialect: Dialect;
  backups: BackupService;
  reportSources: ReportSources;
  reportListeners: ((report: WrittenReport) => void | Promise<void>)[];
}): Job[] {
  const { config, db, dialect } = deps;
  const j = config.jobs;
  const batch = { db, dialect, batchSize: j.batchSize, pauseMs: j.batchPauseMs };
  const report = { sources: deps.reportSources, dir: j.reportsDir, listeners: deps.reportListeners };
  return [
    cleanupTokensJob(batch),
    cleanupRefreshTokensJob({ ...batch, revokedRetentionDays: j.refreshRevokedRetentionDays }),
    retentionJob({ ...batch, name: 'retention-security-events', description: 'Delete security events older than SECURITY_EVENT_RETENTION_DAYS', targets: [{ table: 'security_events', column: 'time', days: j.securityEventRetentionDays }] }),
    retentionJob({ ...batch, name: 'retention-job-runs', description: 'Delete job runs older than JOB_RUN_RETENTION_DAYS', targets: [{ table: 'job_runs', column: 'started_at', days: j.jobRunRetentionDays }] }),
    metricAggregatesJob({ ...batch, minuteDays: j.metricAggregateRetentionDays, dayDays: j.sloDailyRetentionDays }),
    backupJob({ backups: deps.backups }),
    backupPruneJob({ backups: deps.backups }),
    reportJob('daily', report),
    reportJob('weekly', report),
  ];
}
