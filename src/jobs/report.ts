import { buildReport, type ReportKind, type ReportSources } from '../reports/build.js';
import { writeReport, type WrittenReport } from '../reports/writer.js';
import type { Job } from './types.js';

/**
 * `report-daily` and `report-weekly` (seed 003's daily and weekly maintenance): health, errors,
 * resources, security summary, database, cleanup, backups and jobs, written as Markdown and JSON
 * into REPORTS_DIR and handed to every `onReport` listener (the alerting info route, when wired).
 */
export function reportJob(kind: ReportKind, deps: { sources: ReportSources; dir: string; listeners: ((report: WrittenReport) => void | Promise<void>)[] }): Job {
  return {
    name: kind === 'daily' ? 'report-daily' : 'report-weekly',
    description: kind === 'daily' ? 'Write the daily maintenance report (last 24 hours)' : 'Write the weekly maintenance report (last 7 days)',
    timeoutMs: 10 * 60_000,
    async run(ctx) {
      const report = await buildReport(deps.sources, kind, ctx.now);
      if (ctx.dryRun) return { dry_run: true, security: report.security, backups: report.backups.count };
      const written = await writeReport(deps.dir, report);
      let delivered = 0;
      for (const listener of deps.listeners) {
        try {
          await listener(written);
          delivered++;
        } catch (e) {
          ctx.log.warn({ err: e }, 'a report listener failed');
        }
      }
      return { json: written.json_path, markdown: written.markdown_path, listeners: delivered, failed_logins: report.security.failed_logins, health: report.health.status };
    },
  };
}
