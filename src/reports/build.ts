import { sql, type Kysely } from 'kysely';
import type { BackupService } from '../backups/index.js';
import { blacklistStatistics, type BlacklistStats } from '../jobs/cleanup-tokens.js';
import type { JobRunRepository } from '../jobs/ports.js';
import type { HealthSnapshot } from '../observability/health.js';
import type { Metrics } from '../observability/metrics.js';
import type { ResourceSample } from '../observability/resources.js';
import type { Dialect } from '../storage/index.js';

export type ReportKind = 'daily' | 'weekly';

/** The seed 003 daily/weekly maintenance as data (the Markdown is rendered from it). */
export interface Report {
  kind: ReportKind;
  generated_at: string;
  period: { from: string; to: string };
  health: { status: string; database: string; redis: string; version: string; uptime_seconds: number };
  /** HTTP answers by class since this process started (the counters live in the process). */
  errors: { since: 'process_start'; responses_5xx: number; responses_4xx: number; requests: number };
  resources: ResourceSample;
  security: { failed_logins: number; ip_blocks: number; account_locks: number; suspicious_activity: number; rate_limited: number; by_type: Record<string, number> };
  database: { dialect: Dialect; size_bytes: number | null; rows: Record<string, number> };
  cleanup: { blacklist: BlacklistStats; last_cleanup: { status: string; finished_at: string | null; stats: Record<string, unknown> | null } | null };
  backups: { count: number; latest: { file: string; created_at: string; size: number; age_hours: number } | null };
  jobs: { job: string; status: string; started_at: string; last_success_at: string | null; error: string | null }[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const TABLES = ['users', 'refresh_tokens', 'token_blacklist', 'api_keys', 'security_events', 'ip_blocks', 'job_runs'];

export interface ReportSources {
  db: Kysely<unknown>;
  dialect: Dialect;
  health: () => HealthSnapshot;
  resources: () => ResourceSample;
  metrics: Metrics | undefined;
  runs: JobRunRepository;
  backups: BackupService;
}

async function httpCounts(metrics: Metrics | undefined) {
  const out = { since: 'process_start' as const, responses_5xx: 0, responses_4xx: 0, requests: 0 };
  if (!metrics) return out;
  for (const v of (await metrics.httpRequests.get()).values) {
    const status = Number(v.labels.status);
    out.requests += v.value;
    if (status >= 500) out.responses_5xx += v.value;
    else if (status >= 400) out.responses_4xx += v.value;
  }
  return out;
}

async function databaseSize(db: Kysely<unknown>, dialect: Dialect): Promise<number | null> {
  try {
    if (dialect === 'sqlite') {
      const { rows } = await sql<{ n: number }>`select page_count * page_size as n from pragma_page_count(), pragma_page_size()`.execute(db);
      return Number(rows[0]?.n ?? 0);
    }
    const { rows } = await sql<{ n: string }>`select pg_database_size(current_database()) as n`.execute(db);
    return Number(rows[0]?.n ?? 0);
  } catch {
    return null;
  }
}

/** Gathers the report for the period ending `now` (24 h daily, 7 days weekly). */
export async function buildReport(src: ReportSources, kind: ReportKind, now: number): Promise<Report> {
  const from = now - (kind === 'daily' ? 1 : 7) * 86_400_000;
  const health = src.health();
  const { rows: byType } = await sql<{ type: string; n: number | string }>`select type, count(*) as n from security_events where time >= ${from} and time < ${now} group by type`.execute(src.db);
  const types = Object.fromEntries(byType.map((r) => [r.type, Number(r.n)]));
  const rows: Record<string, number> = {};
  for (const t of TABLES) {
    const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(t)}`.execute(src.db);
    rows[t] = Number(r.rows[0]?.n ?? 0);
  }
  const latest = await src.runs.latest();
  const cleanup = latest.get('cleanup-tokens');
  const backups = await src.backups.list();
  const newest = backups[0];
  return {
    kind,
    generated_at: iso(now),
    period: { from: iso(from), to: iso(now) },
    health: { status: health.status, database: health.services.database.status, redis: health.services.redis.status, version: health.version, uptime_seconds: health.uptime },
    errors: await httpCounts(src.metrics),
    resources: src.resources(),
    security: {
      failed_logins: types.LOGIN_FAILED ?? 0,
      ip_blocks: types.IP_BLOCKED ?? 0,
      account_locks: types.ACCOUNT_LOCKED ?? 0,
      suspicious_activity: types.SUSPICIOUS_ACTIVITY ?? 0,
      rate_limited: types.RATE_LIMITED ?? 0,
      by_type: types,
    },
    database: { dialect: src.dialect, size_bytes: await databaseSize(src.db, src.dialect), rows },
    cleanup: {
      blacklist: await blacklistStatistics(src.db, now),
      last_cleanup: cleanup ? { status: cleanup.last.status, finished_at: cleanup.last.finished_at === null ? null : iso(cleanup.last.finished_at), stats: cleanup.last.stats } : null,
    },
    backups: {
      count: backups.length,
      latest: newest ? { file: newest.file, created_at: iso(newest.created_at), size: newest.size, age_hours: Math.round(((now - newest.created_at) / 3_600_000) * 10) / 10 } : null,
    },
    jobs: [...latest.values()]
      .sort((a, b) => a.last.job.localeCompare(b.last.job))
      .map(({ last, lastSuccessAt }) => ({ job: last.job, status: last.status, started_at: iso(last.started_at), last_success_at: lastSuccessAt === null ? null : iso(lastSuccessAt), error: last.error })),
  };
}
