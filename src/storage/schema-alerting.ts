import type { Generated } from 'kysely';

/** Alerting and incident tables (migrations 005 to 008); repositories add them with `withTables`. */
export interface AlertHistoryTable {
  id: string;
  fingerprint: string;
  rule: string;
  severity: string;
  category: string;
  /** JSON text. */
  labels: string;
  annotations: string;
  value: number;
  active_at: number;
  fired_at: number;
  resolved_at: number | null;
}

export interface AlertSilencesTable {
  id: string;
  matchers: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
  created_at: number;
}

export interface AlertOutboxTable {
  id: Generated<number>;
  idempotency_key: string;
  receiver: string;
  group_key: string;
  kind: string;
  payload: string;
  status: 'pending' | 'sent' | 'dead';
  attempts: number;
  next_attempt_at: number;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface SloMinutesTable {
  minute: number;
  instance: string;
  requests: number;
  errors_5xx: number;
  errors_4xx: number;
  slow_500: number;
  slow_1000: number;
  login_success: number;
  login_failure: number;
  registrations: number;
  registration_attempts: number;
  token_success: number;
  token_failure: number;
  /** Requests that took at most 5 ms … 5 s: the duration histogram's cumulative buckets (migration 007). */
  le_5ms: number;
  le_10ms: number;
  le_25ms: number;
  le_50ms: number;
  le_100ms: number;
  le_250ms: number;
  le_500ms: number;
  le_1000ms: number;
  le_2500ms: number;
  le_5000ms: number;
}

/** The latency bounds `slo_minutes` records (ms), one `le_<n>ms` column each; requests above the last fall in +Inf. */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] as const;
export type LatencyColumn = `le_${(typeof LATENCY_BOUNDS_MS)[number]}ms`;
export const LATENCY_COLUMNS = LATENCY_BOUNDS_MS.map((ms) => `le_${ms}ms` as LatencyColumn);
/** The counters of a minute (and of a day), latency buckets aside. */
export const SLO_COUNTERS = ['requests', 'errors_5xx', 'errors_4xx', 'slow_500', 'slow_1000', 'login_success', 'login_failure', 'registrations', 'registration_attempts', 'token_success', 'token_failure'] as const;
/** Every column a minute adds to: the counters and the latency buckets. */
export const SLO_SUMMED = [...SLO_COUNTERS, ...LATENCY_COLUMNS] as const;

/**
 * One UTC day of one instance (migration 008): the sums of its `slo_minutes` rows, moved here by
 * `retention-metric-aggregates` when they expire. A minute is in one table or the other, never both.
 */
export type SloDaysTable = Omit<SloMinutesTable, 'minute'> & {
  /** The day's start, UTC midnight (epoch ms). */
  day: number;
  /** How many minute rows of this instance were summed into it. */
  minutes: number;
};

export interface IncidentsTable {
  id: string;
  title: string;
  severity: string;
  status: string;
  group_key: string;
  created_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  closed_at: number | null;
  escalations: number;
  last_escalated_at: number | null;
  postmortem: string | null;
  /** What the public status page calls it (migration 007); null: a generic title from the severity. */
  public_title: string | null;
}

export interface IncidentTimelineTable {
  id: Generated<number>;
  incident_id: string;
  at: number;
  kind: string;
  actor: string | null;
  text: string;
}

export type AlertingTables = {
  alert_history: AlertHistoryTable;
  alert_silences: AlertSilencesTable;
  alert_outbox: AlertOutboxTable;
  slo_minutes: SloMinutesTable;
  slo_days: SloDaysTable;
  incidents: IncidentsTable;
  incident_timeline: IncidentTimelineTable;
};
