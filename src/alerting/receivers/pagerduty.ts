import { createHash } from 'node:crypto';
import type { NotificationMessage } from '../message.js';
import { postJson } from './http.js';
import type { Receiver } from './types.js';

const SEVERITY: Record<string, 'critical' | 'error' | 'warning' | 'info'> = { critical: 'critical', warning: 'warning', info: 'info' };

/**
 * A PagerDuty Events API v2 event: trigger while the group fires, resolve when it is resolved,
 * under one `dedup_key` per group (so a resolve closes the incident the trigger opened).
 */
export function pagerDutyEvent(m: NotificationMessage, routingKey: string) {
  const dedupKey = createHash('sha256').update(m.groupKey).digest('hex').slice(0, 32);
  const first = m.alerts[0];
  const summary = (m.title ?? m.commonAnnotations.summary ?? first?.annotations.summary ?? m.groupLabels.alertname ?? 'Vigil alert').slice(0, 1024);
  if (m.status === 'resolved' && m.kind === 'alert') return { routing_key: routingKey, event_action: 'resolve' as const, dedup_key: dedupKey };
  return {
    routing_key: routingKey,
    event_action: 'trigger' as const,
    dedup_key: dedupKey,
    payload: {
      summary,
      source: 'vigil',
      severity: SEVERITY[m.commonLabels.severity ?? ''] ?? 'error',
      timestamp: first?.startsAt ?? new Date().toISOString(),
      component: 'vigil',
      group: m.commonLabels.category,
      class: m.groupLabels.alertname,
      custom_details: { firing: m.alerts.filter((a) => a.status === 'firing').map((a) => a.annotations.description ?? a.annotations.summary), labels: m.commonLabels, text: m.text },
    },
    links: m.alerts.filter((a) => a.annotations.runbook_url).slice(0, 1).map((a) => ({ href: a.annotations.runbook_url!, text: 'Runbook' })),
  };
}

/** PagerDuty Events API v2 (ALERT_PAGERDUTY_ROUTING_KEY; ALERT_PAGERDUTY_URL for another endpoint). */
export function pagerDutyReceiver(name: string, url: string, routingKey: string): Receiver {
  return { name, kind: 'pagerduty', send: (message, { signal }) => postJson(name, url, pagerDutyEvent(message, routingKey), { signal }) };
}
