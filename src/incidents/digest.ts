import { sql, type Kysely } from 'kysely';
import type { Alerting } from '../alerting/service.js';
import type { Maintenance } from '../jobs/index.js';
import type { Logger } from '../observability/logger.js';
import type { WrittenReport } from '../reports/writer.js';
import type { SloService } from './slo.js';

/** Seed 000's weekly info alert: what happened in the week, in numbers. */
export interface WeeklyDigest {
  from: string;
  to: string;
  registrations: number;
  active_users: number;
  /** Runs of the cleanup and retention jobs in the week, and the deleted rows their stats report. */
  cleanup: { job: string; runs: number; succeeded: number; deleted: number }[];
  api_usage: { requests: number; previous_week: number; change_percent: number | null };
  incidents: { opened: number; open_now: number; by_severity: Record<string, number> };
}

const WEEK = 7 * 86_400_000;
const count = async (q: ReturnType<typeof sql<{ n: number | string }>>, db: Kysely<unknown>) => Number((await q.execute(db)).rows[0]?.n ?? 0);

/** Sums every numeric stat whose name says it counts deletions (`deleted`, `deleted_rows`, …). */
function deletedOf(stats: string | null): number {
  if (!stats) return 0;
  try {
    return Object.entries(JSON.parse(stats) as Record<string, unknown>).reduce((n, [k, v]) => n + (k.startsWith('deleted') && typeof v === 'number' ? v : 0), 0);
  } catch {
    return 0;
  }
}

export async function buildWeeklyDigest(db: Kysely<unknown>, slo: SloService, now: number): Promise<WeeklyDigest> {
  const from = now - WEEK;
  const registrations = await count(sql`select count(*) as n from security_events where type = 'REGISTERED' and time >= ${from} and time < ${now}`, db);
  const active = await count(sql`select count(distinct user_id) as n from security_events where type in ('LOGIN_SUCCEEDED', 'TOKEN_REFRESHED') and user_id is not null and time >= ${from} and time < ${now}`, db);
  const { rows: runs } = await sql<{ job: string; status: string; stats: string | null }>`select job, status, stats from job_runs where (job like 'cleanup-%' or job like 'retention-%') and started_at >= ${from} and started_at < ${now}`.execute(db);
  const cleanup = new Map<string, WeeklyDigest['cleanup'][number]>();
  for (const r of runs) {
    const c = cleanup.get(r.job) ?? { job: r.job, runs: 0, succeeded: 0, deleted: 0 };
    c.runs++;
    if (r.status === 'succeeded') c.succeeded++;
    c.deleted += deletedOf(r.stats);
    cleanup.set(r.job, c);
  }
  const requests = (await slo.totals(from, now)).requests;
  const previous = (await slo.totals(from - WEEK, from)).requests;
  const { rows: bySeverity } = await sql<{ severity: string; n: number | string }>`select severity, count(*) as n from incidents where created_at >= ${from} and created_at < ${now} group by severity`.execute(db);
  const openNow = await count(sql`select count(*) as n from incidents where status in ('open', 'acknowledged')`, db);
  const severities = Object.fromEntries(bySeverity.map((r) => [r.severity, Number(r.n)]));
  return {
    from: new Date(from).toISOString(), to: new Date(now).toISOString(),
    registrations, active_users: active,
    cleanup: [...cleanup.values()].sort((a, b) => a.job.localeCompare(b.job)),
    api_usage: { requests, previous_week: previous, change_percent: previous > 0 ? Math.round(((requests - previous) / previous) * 1000) / 10 : null },
    incidents: { opened: Object.values(severities).reduce((a, b) => a + b, 0), open_now: openNow, by_severity: severities },
  };
}

export function digestText(d: WeeklyDigest): string {
  const trend = d.api_usage.change_percent === null ? 'no data for the week before' : `${d.api_usage.change_percent >= 0 ? '+' : ''}${d.api_usage.change_percent}% on the week before (${d.api_usage.previous_week})`;
  return [
    `Week ${d.from.slice(0, 10)} – ${d.to.slice(0, 10)}`,
    `Registrations: ${d.registrations}`,
    `Active users: ${d.active_users}`,
    `API requests: ${d.api_usage.requests}, ${trend}`,
    `Incidents opened: ${d.incidents.opened}${d.incidents.opened > 0 ? ` (${Object.entries(d.incidents.by_severity).map(([s, n]) => `${s}: ${n}`).join(', ')})` : ''}; open now: ${d.incidents.open_now}`,
    `Cleanup: ${d.cleanup.length === 0 ? 'no runs' : d.cleanup.map((c) => `${c.job} ${c.succeeded}/${c.runs} runs ok, ${c.deleted} rows deleted`).join('; ')}`,
  ].join('\n');
}

/** Sends the digest through the outbox to `receiver`. */
export async function sendWeeklyDigest(alerting: Alerting, receiver: string, digest: WeeklyDigest): Promise<string> {
  const labels = { alertname: 'VigilWeeklyDigest', severity: 'info', category: 'maintenance' };
  const annotations = { summary: `Vigil weekly digest ${digest.to.slice(0, 10)}`, description: digestText(digest) };
  return alerting.notify({
    kind: 'digest', receiver, status: 'firing', groupKey: `{}/${receiver}:{alertname="VigilWeeklyDigest",week="${digest.to.slice(0, 10)}"}`,
    groupLabels: { alertname: labels.alertname }, commonLabels: labels, commonAnnotations: annotations,
    alerts: [{ status: 'firing', labels, annotations, startsAt: digest.to, endsAt: digest.to, generatorURL: '', fingerprint: `digest-${digest.to.slice(0, 10)}` }],
    title: annotations.summary, text: annotations.description,
  });
}

/** Listens to report-weekly (maintenance's onReport) and sends the digest for the report's week. */
export function connectWeeklyDigest(deps: { maintenance: Pick<Maintenance, 'onReport'>; alerting: Alerting; slo: SloService; db: Kysely<unknown>; receiver: string; log: Logger }): void {
  if (!deps.alerting.receivers.has(deps.receiver)) throw new Error(`ALERT_DIGEST_RECEIVER names a receiver that is not configured: ${deps.receiver} (configured: ${[...deps.alerting.receivers.keys()].join(', ') || 'none'})`);
  deps.maintenance.onReport.push(async (written: WrittenReport) => {
    if (written.report.kind !== 'weekly') return;
    const digest = await buildWeeklyDigest(deps.db, deps.slo, Date.parse(written.report.period.to));
    const key = await sendWeeklyDigest(deps.alerting, deps.receiver, digest);
    deps.log.info({ receiver: deps.receiver, idempotency_key: key }, 'weekly digest queued');
  });
}
