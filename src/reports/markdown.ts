import type { Report } from './build.js';

const mb = (n: number | null) => (n === null ? 'unknown' : `${(n / 1_048_576).toFixed(1)} MB`);

/** The report as Markdown, for people (the JSON next to it is for machines). */
export function reportMarkdown(r: Report): string {
  const title = r.kind === 'daily' ? 'Daily' : 'Weekly';
  const lines = [
    `# Vigil ${title} maintenance report`,
    '',
    `Period: ${r.period.from} – ${r.period.to} (generated ${r.generated_at})`,
    '',
    '## Health',
    '',
    `- Status: **${r.health.status}** (database ${r.health.database}, Redis ${r.health.redis}), version ${r.health.version}, up ${Math.round(r.health.uptime_seconds / 3600)} h`,
    `- Responses since the process started: ${r.errors.requests} requests, ${r.errors.responses_5xx} 5xx, ${r.errors.responses_4xx} 4xx`,
    '',
    '## Resources',
    '',
    `- CPU ${r.resources.cpu_percent.toFixed(1)} %, RSS ${mb(r.resources.rss_bytes)}, event-loop lag p99 ${r.resources.event_loop_lag_p99_ms.toFixed(1)} ms, free disk ${r.resources.disk_free_percent === null ? 'unknown' : `${r.resources.disk_free_percent.toFixed(1)} %`}`,
    '',
    '## Security',
    '',
    '| Failed logins | IP blocks | Account locks | Suspicious activity | Rate limited |',
    '| ---: | ---: | ---: | ---: | ---: |',
    `| ${r.security.failed_logins} | ${r.security.ip_blocks} | ${r.security.account_locks} | ${r.security.suspicious_activity} | ${r.security.rate_limited} |`,
    '',
    '## Database',
    '',
    `- ${r.database.dialect}, ${mb(r.database.size_bytes)}`,
    ...Object.entries(r.database.rows).map(([t, n]) => `- \`${t}\`: ${n} rows`),
    '',
    '## Cleanup',
    '',
    `- Token blacklist: ${r.cleanup.blacklist.total} entries, ${r.cleanup.blacklist.active} active, ${r.cleanup.blacklist.expired} expired (${r.cleanup.blacklist.expired_percent}%)`,
    r.cleanup.last_cleanup
      ? `- Last cleanup-tokens run: ${r.cleanup.last_cleanup.status}${r.cleanup.last_cleanup.finished_at ? ` at ${r.cleanup.last_cleanup.finished_at}` : ''}${typeof r.cleanup.last_cleanup.stats?.deleted === 'number' ? `, deleted ${r.cleanup.last_cleanup.stats.deleted}` : ''}`
      : '- cleanup-tokens has not run yet',
    '',
    '## Backups',
    '',
    r.backups.latest ? `- ${r.backups.count} backups; latest ${r.backups.latest.file} (${mb(r.backups.latest.size)}, ${r.backups.latest.age_hours} h old)` : '- **No backups**',
    '',
    '## Jobs',
    '',
    '| Job | Last run | Status | Last success | Error |',
    '| --- | --- | --- | --- | --- |',
    ...r.jobs.map((j) => `| ${j.job} | ${j.started_at} | ${j.status} | ${j.last_success_at ?? '-'} | ${j.error ?? ''} |`),
    '',
  ];
  return lines.join('\n');
}
