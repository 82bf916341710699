import { describe, type NotificationMessage } from '../message.js';
import { postJson } from './http.js';
import type { Receiver } from './types.js';

const COLOUR = { critical: '#d00000', warning: '#e8a317', info: '#439fe0', resolved: '#2eb886' } as const;

/** A Slack incoming-webhook message: `text` (the fallback and notification line) and one attachment. */
export function slackPayload(m: NotificationMessage) {
  const { title, lines } = describe(m);
  const severity = (m.commonLabels.severity ?? 'warning') as keyof typeof COLOUR;
  return {
    text: title,
    attachments: [
      {
        color: m.status === 'resolved' ? COLOUR.resolved : (COLOUR[severity] ?? COLOUR.warning),
        title,
        text: lines.join('\n'),
        footer: 'Vigil',
      },
    ],
  };
}

/** Slack incoming webhook (ALERT_SLACK_WEBHOOK_URL). */
export function slackReceiver(name: string, url: string): Receiver {
  return { name, kind: 'slack', send: (message, { signal }) => postJson(name, url, slackPayload(message), { signal }) };
}
