import type { Generated } from 'kysely';

/** Alerting and incident tables (migrations 005 and 006); repositories add them with `withTables`. */
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
}

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
  incidents: IncidentsTable;
  incident_timeline: IncidentTimelineTable;
};
