import type { SloBucket } from '../alerting/ports.js';
import type { IncidentRecord, TimelineRecord } from '../incidents/ports.js';
import { PUBLIC_UPDATE } from '../incidents/service.js';

/** What the public status page says; nothing internal (titles, notes, alert labels, addresses) is in it. */
export type ComponentStatus = 'operational' | 'degraded' | 'major_outage';
export type ComponentName = 'API' | 'Authentication' | 'Database';

export interface PublicIncident {
  public_title: string;
  severity: string;
  /** `investigating` (open) or `identified` (acknowledged). */
  status: 'investigating' | 'identified';
  started_at: string;
  /** Public updates only, oldest first. */
  updates: { at: string; text: string }[];
}

export interface StatusView {
  status: ComponentStatus;
  updated_at: string;
  components: { name: ComponentName; status: ComponentStatus }[];
  incidents: PublicIncident[];
  uptime: { days: { date: string; availability: number | null }[]; ninety_day: number | null };
}

export const UPTIME_DAYS = 90;
const DAY_MS = 86_400_000;
const RANK: Record<ComponentStatus, number> = { operational: 0, degraded: 1, major_outage: 2 };
export const worst = (...s: ComponentStatus[]): ComponentStatus => s.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'operational');

/** The generic public title of an incident without one: from its severity only, never its internal title. */
export function genericTitle(severity: string): string {
  if (severity === 'P0' || severity === 'P1') return 'Service disruption';
  if (severity === 'P2') return 'Degraded performance';
  return 'Minor service issue';
}

/**
 * The component an incident bears on, from the category of the alert rule that opened it:
 * security alerts (brute force, failed-login spikes) concern sign-in, database alerts the
 * database, everything else the API.
 */
export function componentOf(category: string | undefined): ComponentName {
  if (category === 'security') return 'Authentication';
  if (category === 'database') return 'Database';
  return 'API';
}

/** An open P0 is an outage of its component; any other open incident degrades it. */
const impact = (severity: string): ComponentStatus => (severity === 'P0' ? 'major_outage' : 'degraded');

export interface StatusInputs {
  now: number;
  /** The /health snapshot's view: overall, and the database probe. */
  health: { status: 'healthy' | 'degraded'; database: 'connected' | 'disconnected' | 'unknown' };
  /** Open and acknowledged incidents with their timelines; undefined when they could not be read. */
  incidents: { incident: IncidentRecord; timeline: TimelineRecord[] }[] | undefined;
  /** The category of the rule an incident's group names (`alertname=<rule>`). */
  categoryOf: (rule: string) => string | undefined;
  /** Per-day sums (UTC days) over the last 90 days; undefined when they could not be read. */
  days: SloBucket[] | undefined;
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/**
 * Components: the database from the health probe; the API from /health's overall status (Redis
 * or the database down degrade it); authentication fails with the database (sign-in reads it).
 * Each is raised by the open incidents that bear on it. The page's own failed database read
 * degrades the database. Overall: the worst component.
 */
export function deriveStatus(input: StatusInputs): StatusView {
  const { now, health } = input;
  const open = input.incidents ?? [];
  const fromIncidents = (name: ComponentName) =>
    worst(...open.filter(({ incident }) => componentOf(input.categoryOf(incident.group_key.replace(/^alertname=/, ''))) === name).map(({ incident }) => impact(incident.severity)));
  const dbDown = health.database === 'disconnected';
  const readFailed = input.incidents === undefined || input.days === undefined;
  const database = worst(dbDown ? 'major_outage' : 'operational', readFailed ? 'degraded' : 'operational', fromIncidents('Database'));
  const components: StatusView['components'] = [
    { name: 'API', status: worst(health.status === 'degraded' ? 'degraded' : 'operational', fromIncidents('API')) },
    { name: 'Authentication', status: worst(dbDown ? 'major_outage' : 'operational', fromIncidents('Authentication')) },
    { name: 'Database', status: database },
  ];

  const incidents = open
    .slice()
    .sort((a, b) => a.incident.created_at - b.incident.created_at)
    .map(({ incident, timeline }): PublicIncident => ({
      public_title: incident.public_title ?? genericTitle(incident.severity),
      severity: incident.severity,
      status: incident.status === 'acknowledged' ? 'identified' : 'investigating',
      started_at: new Date(incident.created_at).toISOString(),
      updates: timeline.filter((e) => e.kind === PUBLIC_UPDATE).map((e) => ({ at: new Date(e.at).toISOString(), text: e.text })),
    }));

  const today = now - (now % DAY_MS);
  const byDay = new Map((input.days ?? []).map((d) => [d.t, d]));
  const days: StatusView['uptime']['days'] = [];
  let requests = 0;
  let errors = 0;
  for (let t = today - (UPTIME_DAYS - 1) * DAY_MS; t <= today; t += DAY_MS) {
    const d = byDay.get(t);
    const r = d?.requests ?? 0;
    requests += r;
    errors += d?.errors_5xx ?? 0;
    days.push({ date: new Date(t).toISOString().slice(0, 10), availability: r > 0 ? round(1 - (d!.errors_5xx / r)) : null });
  }

  return {
    status: worst(...components.map((c) => c.status)),
    updated_at: new Date(now).toISOString(),
    components,
    incidents,
    uptime: { days, ninety_day: requests > 0 ? round(1 - errors / requests) : null },
  };
}

/** The first day the uptime covers (UTC midnight, 89 days before today's). */
export const uptimeSince = (now: number) => now - (now % DAY_MS) - (UPTIME_DAYS - 1) * DAY_MS;
