import { Gauge, type Registry } from 'prom-client';
import { receiversFor } from '../alerting/routing.js';
import type { Alerting } from '../alerting/service.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../shared/clock.js';
import type { IncidentRepository } from './ports.js';
import { createIncidents, type Incidents, type IncidentStats } from './service.js';

export { createIncidents, type Incidents, type Postmortem, type IncidentStatus } from './service.js';

/** `vigil_incident_mtta_seconds` / `…_mttr_seconds` per severity, from stats refreshed each evaluation. */
function incidentGauges(registry: Registry, stats: () => IncidentStats[]): void {
  const registers = [registry];
  const set = (g: Gauge<'severity'>, pick: (s: IncidentStats) => number | null) => {
    for (const s of stats()) {
      const v = pick(s);
      if (v !== null) g.set({ severity: s.severity }, v);
    }
  };
  new Gauge({ name: 'vigil_incident_mtta_seconds', help: 'Mean time to acknowledge incidents (last 30 days), by severity P0–P3.', labelNames: ['severity'] as const, registers, collect() { set(this, (s) => s.mtta_seconds); } });
  new Gauge({ name: 'vigil_incident_mttr_seconds', help: 'Mean time to resolve incidents (last 30 days), by severity P0–P3.', labelNames: ['severity'] as const, registers, collect() { set(this, (s) => s.mttr_seconds); } });
  new Gauge({ name: 'vigil_incidents_total_30d', help: 'Incidents opened in the last 30 days, by severity P0–P3.', labelNames: ['severity'] as const, registers, collect() { set(this, (s) => s.count); } });
}

/**
 * Incidents over alerting: alerts of incident rules open or join incidents; each evaluation
 * escalates overdue incidents (to INCIDENT_ESCALATION_RECEIVER, else the critical route's
 * receivers) and refreshes the MTTA/MTTR gauges.
 */
export function connectIncidents(deps: { config: Config; clock: Clock; logger: Logger; repo: IncidentRepository; alerting: Alerting; registry: Registry | undefined }): Incidents {
  const { alerting, config } = deps;
  const escalationReceivers = config.incidents.escalationReceiver ? [config.incidents.escalationReceiver] : receiversFor(alerting.routes, { severity: 'critical', category: 'availability' });
  const incidents = createIncidents({
    repo: deps.repo,
    clock: deps.clock,
    config: config.incidents,
    logger: deps.logger,
    async escalateTo(incident, attempt) {
      for (const receiver of escalationReceivers) {
        await alerting.notify({
          kind: 'escalation', receiver, status: 'firing', groupKey: `{}/${receiver}:{incident="${incident.id}"}`,
          groupLabels: { incident: incident.id }, commonLabels: { severity: 'critical', incident_severity: incident.severity }, commonAnnotations: { summary: incident.title }, alerts: [],
          title: `[ESCALATION ${attempt}] ${incident.severity} not acknowledged: ${incident.title}`,
          text: `Incident ${incident.id} (${incident.severity}) opened ${new Date(incident.created_at).toISOString()} is not acknowledged.\nAcknowledge: vigil incident ack ${incident.id}\n${config.alerting.externalUrl}/api/v1/admin/incidents/${incident.id}`,
        });
      }
    },
  });
  const incidentRules = new Set(alerting.rules().filter((r) => r.incident).map((r) => r.name));
  alerting.onChange((change) => incidents.onAlert(change, incidentRules.has(change.alert.rule)));
  let stats: IncidentStats[] = [];
  alerting.onSample(async (now) => {
    await incidents.escalate(now);
    stats = await incidents.stats(now - 30 * 86_400_000);
  });
  if (deps.registry) incidentGauges(deps.registry, () => stats);
  return incidents;
}
