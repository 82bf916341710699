import type { NotificationMessage } from '../message.js';
import { postJson } from './http.js';
import type { Receiver } from './types.js';

/** Alertmanager's webhook payload, version 4, so receivers written for Alertmanager work unchanged. */
export function webhookPayload(m: NotificationMessage) {
  return {
    version: '4',
    groupKey: m.groupKey,
    truncatedAlerts: 0,
    status: m.status,
    receiver: m.receiver,
    groupLabels: m.groupLabels,
    commonLabels: m.commonLabels,
    commonAnnotations: m.commonAnnotations,
    externalURL: m.externalURL,
    alerts: m.alerts,
  };
}

/** Generic webhook (ALERT_WEBHOOK_URL): the v4 payload, with an Idempotency-Key header. */
export function webhookReceiver(name: string, url: string): Receiver {
  return {
    name,
    kind: 'webhook',
    send: (message, { idempotencyKey, signal }) => postJson(name, url, webhookPayload(message), { signal, headers: { 'idempotency-key': idempotencyKey } }),
  };
}
