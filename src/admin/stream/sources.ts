import type { Alerting } from '../../alerting/service.js';
import type { Incidents } from '../../incidents/index.js';
import type { IncidentChange } from '../../incidents/service.js';
import type { HealthSnapshot } from '../../observability/health.js';
import type { SecurityEvent } from '../../security-monitoring/events.js';
import type { LiveFeed } from './feed.js';

export interface LiveSources {
  /** The security-event listener (createServices puts it in the events' listener list). */
  observe(event: SecurityEvent): void;
  stop(): void;
}

/** A security event as the stream (and the events API, without its stored id) shows it. */
export const liveEvent = (e: SecurityEvent) => ({
  type: e.type, severity: e.severity, time: new Date(e.time).toISOString(), ip: e.ip ?? null, user_id: e.user_id ?? null, request_id: e.request_id ?? null, details: e.details,
});

/** What makes two health snapshots differ for the stream: the overall status and each service's. */
const healthKey = (s: HealthSnapshot) => JSON.stringify([s.status, Object.entries(s.services).map(([name, v]) => [name, v.status])]);

/**
 * Publishes what happens on this instance to the live feed: every security event, alert state
 * changes, incident changes, and this instance's health when its status or a service's status
 * changes (checked every `healthIntervalMs`). Each instance publishes only its own: an event is
 * emitted where it happened, and health and alerts carry `instance` (each instance evaluates its own).
 */
export function connectLiveSources(deps: {
  feed: LiveFeed;
  instanceId: string;
  alerting: Pick<Alerting, 'onChange'> | undefined;
  incidents: Pick<Incidents, 'onChange'> | undefined;
  health: () => HealthSnapshot;
  healthIntervalMs?: number;
}): LiveSources {
  const { feed, instanceId } = deps;
  deps.alerting?.onChange(({ alert }) => {
    feed.publish('alert', {
      name: alert.rule, state: alert.state, severity: alert.severity, fingerprint: alert.fingerprint, labels: alert.labels, summary: alert.annotations.summary ?? '', instance: instanceId,
    });
  });
  deps.incidents?.onChange(({ incident, change }: IncidentChange) => {
    feed.publish('incident', { id: incident.id, title: incident.title, severity: incident.severity, status: incident.status, change });
  });
  let lastHealth = healthKey(deps.health());
  const timer = setInterval(() => {
    const snapshot = deps.health();
    const key = healthKey(snapshot);
    if (key === lastHealth) return;
    lastHealth = key;
    feed.publish('health', { instance: instanceId, ...snapshot });
  }, deps.healthIntervalMs ?? 5000);
  timer.unref();
  return {
    observe: (e) => feed.publish('security_event', liveEvent(e)),
    stop: () => clearInterval(timer),
  };
}
