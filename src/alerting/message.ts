import type { Labels } from './types.js';

/** One alert as Alertmanager's webhook (v4) carries it. */
export interface MessageAlert {
  status: 'firing' | 'resolved';
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  /** `0001-01-01T00:00:00Z` while firing, as Alertmanager sends it. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/**
 * A notification as stored in the outbox, receiver-neutral: Alertmanager's webhook fields, so the
 * webhook receiver sends it as it is and the others render it. `kind` says why it was sent.
 */
export interface NotificationMessage {
  kind: 'alert' | 'escalation' | 'digest' | 'test';
  receiver: string;
  status: 'firing' | 'resolved';
  groupKey: string;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalURL: string;
  alerts: MessageAlert[];
  /** A human title and text for escalations and digests (alerts may be empty then). */
  title?: string;
  text?: string;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The labels (or annotations) every alert shares with the same value. */
export function common(list: Labels[]): Labels {
  if (list.length === 0) return {};
  const out: Labels = { ...list[0] };
  for (const l of list.slice(1)) for (const k of Object.keys(out)) if (l[k] !== out[k]) delete out[k];
  return out;
}

/** One line per alert, for text receivers (email, Slack). */
export function describe(message: NotificationMessage): { title: string; lines: string[] } {
  if (message.title) return { title: message.title, lines: (message.text ?? '').split('\n') };
  const firing = message.alerts.filter((a) => a.status === 'firing').length;
  const name = message.groupLabels.alertname ?? message.commonLabels.alertname ?? 'alerts';
  const title = `[${message.status.toUpperCase()}${firing > 0 ? `:${firing}` : ''}] ${name}`;
  const lines = message.alerts.map((a) => {
    const extra = Object.entries(a.labels).filter(([k]) => !['alertname', 'severity', 'category'].includes(k)).map(([k, v]) => `${k}=${v}`).join(' ');
    return `${a.status === 'firing' ? 'FIRING' : 'RESOLVED'} ${a.labels.severity ?? ''} ${a.annotations.summary ?? a.labels.alertname}${extra ? ` (${extra})` : ''}${a.annotations.runbook_url ? ` runbook: ${a.annotations.runbook_url}` : ''}`;
  });
  return { title, lines };
}
