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
import { reportJob } from './report.js';
import { retentionJob } from './retention.js';
import type { Job } from './types.js';

/** The per-minute metric aggregates of the alerting SLO reports (migration 005), when present. */
export const METRIC_AGGREGATES = { table: 'slo_minutes', column: 'minute' };

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
    retentionJob({
      ...batch,
      name: 'retention-metric-aggregates',
      description: 'Delete per-minute metric aggregates older than METRIC_AGGREGATE_RETENTION_DAYS (when the alerting tables exist)',
      targets: [{ ...METRIC_AGGREGATES, days: j.metricAggregateRetentionDays, optional: true }],
    }),
    backupJob({ backups: deps.backups }),
    backupPruneJob({ backups: deps.backups }),
    reportJob('daily', report),
    reportJob('weekly', report),
  ];
}
