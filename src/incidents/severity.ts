import type { Alert } from '../alerting/types.js';

export const INCIDENT_SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

/** Response targets of seed 003: P0 15 minutes, P1 1 hour, P2 4 hours, P3 24 hours. */
export const RESPONSE_TARGET_MS: Record<IncidentSeverity, number> = { P0: 900_000, P1: 3_600_000, P2: 14_400_000, P3: 86_400_000 };

/** Critical outages (availability, database) are P0, other critical alerts P1, warnings P2, info P3. */
export function severityOf(alert: Pick<Alert, 'severity' | 'category'>): IncidentSeverity {
  if (alert.severity === 'critical') return alert.category === 'availability' || alert.category === 'database' ? 'P0' : 'P1';
  return alert.severity === 'warning' ? 'P2' : 'P3';
}
