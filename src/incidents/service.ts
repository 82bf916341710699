import { randomUUID } from 'node:crypto';
import type { AlertChange } from '../alerting/engine.js';
import type { IncidentsConfig } from '../config/alerting-config.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../shared/clock.js';
import type { IncidentRecord, IncidentRepository, TimelineRecord } from './ports.js';
import { INCIDENT_SEVERITIES, RESPONSE_TARGET_MS, severityOf, type IncidentSeverity } from './severity.js';

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved' | 'closed';

/** The timeline kind of updates the public status page shows (the only timeline text it shows). */
export const PUBLIC_UPDATE = 'public_update';

/** A postmortem's fields (exported as Markdown by `vigil incident report`). */
export interface Postmortem {
  summary: string;
  impact: string;
  root_cause: string;
  contributing_factors: string[];
  resolution: string;
  action_items: string[];
}

export interface IncidentStats {
  severity: IncidentSeverity;
  count: number;
  /** Mean time to acknowledge / resolve in seconds; null without data. */
  mtta_seconds: number | null;
  mttr_seconds: number | null;
}

/** What the live stream reports of an incident: each change, with the incident as it is after it. */
export const INCIDENT_CHANGES = ['opened', 'acknowledged', 'note', 'resolved', 'closed', 'escalated', 'action'] as const;
export type IncidentChange = { incident: IncidentRecord; change: (typeof INCIDENT_CHANGES)[number] };

/** Expected failures of an incident operation. */
export type IncidentResult = { ok: true; incident: IncidentRecord } | { ok: false; reason: 'not_found' | 'wrong_state' };

/**
 * P0–P3 incidents: a firing alert of a rule with `incident` (critical ones by default) opens one,
 * or joins the open one of its group (alertname). Open → acknowledged → resolved → closed, with
 * an append-only timeline; escalation when not acknowledged within the response target.
 */
export interface Incidents {
  onAlert(change: AlertChange, incidentRule: boolean): Promise<void>;
  list(options: { status?: IncidentStatus; since?: number; limit: number }): Promise<IncidentRecord[]>;
  get(id: string): Promise<{ incident: IncidentRecord; timeline: TimelineRecord[] } | undefined>;
  acknowledge(id: string, actor: string): Promise<IncidentResult>;
  note(id: string, actor: string, text: string): Promise<IncidentResult>;
  resolve(id: string, actor: string, text?: string): Promise<IncidentResult>;
  close(id: string, actor: string, postmortem?: Postmortem): Promise<IncidentResult>;
  /** Sets (null clears) the title the public status page shows; the timeline records the change. Not once closed. */
  setPublicTitle(id: string, actor: string, title: string | null): Promise<IncidentResult>;
  /** An update for the public status page (timeline kind `public_update`). Not once closed. */
  publicUpdate(id: string, actor: string, text: string): Promise<IncidentResult>;
  /** An automated action (IP block, emergency mode) joins the timeline of every active incident. */
  recordAction(text: string): Promise<void>;
  /** Escalates what is overdue at `now`; returns the incidents escalated. */
  escalate(now?: number): Promise<string[]>;
  stats(since?: number): Promise<IncidentStats[]>;
  /** Called after each change (timeline entry of an INCIDENT_CHANGES kind); a failing listener is logged. */
  onChange(listener: (change: IncidentChange) => void): void;
}

export function createIncidents(deps: {
  repo: IncidentRepository;
  clock: Clock;
  config: IncidentsConfig;
  logger: Logger;
  /** Sends an escalation (through the outbox). */
  escalateTo: (incident: IncidentRecord, attempt: number) => Promise<void>;
}): Incidents {
  const { repo, clock } = deps;
  const changeListeners: ((change: IncidentChange) => void)[] = [];
  // Listeners get the incident as stored after the change, read once the entry is written; the
  // reads are chained so listeners see the changes in the order they happened.
  let notified: Promise<void> = Promise.resolve();
  const changed = (id: string, kind: string) => {
    const change = INCIDENT_CHANGES.find((c) => c === kind);
    if (!change || changeListeners.length === 0) return;
    notified = notified.then(async () => {
      const incident = await repo.get(id);
      if (incident) for (const l of changeListeners) l({ incident, change });
    }).catch((err: unknown) => deps.logger.error({ err, incident_id: id }, 'an incident change listener failed'));
  };
  const timeline = async (incident_id: string, kind: string, text: string, actor: string | null = null) => {
    await repo.addTimeline({ incident_id, at: clock.now(), kind, actor, text });
    changed(incident_id, kind);
  };

  async function transition(id: string, from: IncidentStatus[], fields: Partial<IncidentRecord>, entry: { kind: string; text: string; actor: string }): Promise<IncidentResult> {
    if (!(await repo.update(id, from, fields))) return (await repo.get(id)) ? { ok: false, reason: 'wrong_state' } : { ok: false, reason: 'not_found' };
    await timeline(id, entry.kind, entry.text, entry.actor);
    return { ok: true, incident: (await repo.get(id))! };
  }

  return {
    async onAlert({ alert }, incidentRule) {
      const groupKey = `alertname=${alert.rule}`;
      const describe = `${alert.rule}${Object.entries(alert.labels).filter(([k]) => !['alertname', 'severity', 'category'].includes(k)).map(([k, v]) => ` ${k}=${v}`).join('')}`;
      if (alert.state === 'firing' && incidentRule) {
        const active = await repo.findActive(groupKey);
        if (active) {
          await timeline(active.id, 'alert_fired', `${describe} fired: ${alert.annotations.summary}`);
          return;
        }
        const now = clock.now();
        const incident: IncidentRecord = {
          id: randomUUID(), title: alert.annotations.summary ?? alert.rule, severity: severityOf(alert), status: 'open', group_key: groupKey, created_at: now,
          acknowledged_at: null, acknowledged_by: null, resolved_at: null, closed_at: null, escalations: 0, last_escalated_at: null, postmortem: null, public_title: null,
        };
        await repo.insert(incident);
        await timeline(incident.id, 'opened', `${incident.severity} opened by ${describe}: ${alert.annotations.summary}`);
        deps.logger.warn({ incident_id: incident.id, severity: incident.severity, alert: alert.rule }, `INCIDENT_OPENED ${incident.severity} ${incident.title}`);
      } else if (alert.state === 'resolved') {
        const active = await repo.findActive(groupKey);
        if (!active) return;
        await timeline(active.id, 'alert_resolved', `${describe} resolved`);
      }
    },
    list: (o) => repo.list(o),
    onChange: (l) => void changeListeners.push(l),
    async get(id) {
      const incident = await repo.get(id);
      return incident && { incident, timeline: await repo.timeline(id) };
    },
    acknowledge: (id, actor) => transition(id, ['open'], { status: 'acknowledged', acknowledged_at: clock.now(), acknowledged_by: actor }, { kind: 'acknowledged', text: `acknowledged by ${actor}`, actor }),
    async note(id, actor, text) {
      const incident = await repo.get(id);
      if (!incident) return { ok: false, reason: 'not_found' };
      if (incident.status === 'closed') return { ok: false, reason: 'wrong_state' };
      await timeline(id, 'note', text, actor);
      return { ok: true, incident };
    },
    resolve: (id, actor, text) => transition(id, ['open', 'acknowledged'], { status: 'resolved', resolved_at: clock.now() }, { kind: 'resolved', text: text ? `resolved: ${text}` : 'resolved', actor }),
    close: (id, actor, postmortem) =>
      transition(id, ['resolved'], { status: 'closed', closed_at: clock.now(), ...(postmortem ? { postmortem: JSON.stringify(postmortem) } : {}) }, { kind: 'closed', text: postmortem ? 'closed with a postmortem' : 'closed', actor }),
    setPublicTitle: (id, actor, title) =>
      transition(id, ['open', 'acknowledged', 'resolved'], { public_title: title }, { kind: 'public_title', text: title === null ? 'public title cleared' : `public title: ${title}`, actor }),
    async publicUpdate(id, actor, text) {
      const incident = await repo.get(id);
      if (!incident) return { ok: false, reason: 'not_found' };
      if (incident.status === 'closed') return { ok: false, reason: 'wrong_state' };
      await timeline(id, PUBLIC_UPDATE, text, actor);
      return { ok: true, incident };
    },
    async recordAction(text) {
      for (const status of ['open', 'acknowledged']) for (const i of await repo.list({ status, limit: 100 })) await timeline(i.id, 'action', text, 'vigil');
    },
    async escalate(now = clock.now()) {
      const escalated: string[] = [];
      for (const incident of await repo.list({ status: 'open', limit: 1000 })) {
        if (incident.escalations >= deps.config.escalationMax) continue;
        const target = RESPONSE_TARGET_MS[incident.severity as IncidentSeverity] ?? RESPONSE_TARGET_MS.P3;
        if (now < (incident.last_escalated_at ?? incident.created_at) + target) continue;
        const attempt = incident.escalations + 1;
        if (!(await repo.update(incident.id, ['open'], { escalations: attempt, last_escalated_at: now }))) continue;
        await deps.escalateTo(incident, attempt);
        await timeline(incident.id, 'escalated', `not acknowledged within ${target / 60_000} min: escalation ${attempt} of ${deps.config.escalationMax}`, 'vigil');
        escalated.push(incident.id);
      }
      return escalated;
    },
    async stats(since) {
      const all = await repo.list({ since, limit: 100_000 });
      const mean = (xs: number[]) => (xs.length === 0 ? null : Math.round(xs.reduce((a, b) => a + b, 0) / xs.length / 10) / 100);
      return INCIDENT_SEVERITIES.map((severity) => {
        const mine = all.filter((i) => i.severity === severity);
        return {
          severity,
          count: mine.length,
          mtta_seconds: mean(mine.filter((i) => i.acknowledged_at !== null).map((i) => i.acknowledged_at! - i.created_at)),
          mttr_seconds: mean(mine.filter((i) => i.resolved_at !== null).map((i) => i.resolved_at! - i.created_at)),
        };
      });
    },
  };
}
