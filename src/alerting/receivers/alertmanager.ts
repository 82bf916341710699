import type { NotificationMessage } from '../message.js';
import { postJson } from './http.js';
import type { Receiver } from './types.js';

/** The body of Alertmanager's `POST /api/v2/alerts` (postableAlerts). */
export function alertmanagerAlerts(m: NotificationMessage) {
  return m.alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    ...(a.status === 'resolved' ? { endsAt: a.endsAt } : {}),
    generatorURL: a.generatorURL,
  }));
}

/** An external Alertmanager (ALERT_ALERTMANAGER_URL): Vigil's alerts join its routing and silences. */
export function alertmanagerReceiver(name: string, baseUrl: string): Receiver {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v2/alerts`;
  return {
    name,
    kind: 'alertmanager',
    async send(message, { signal }) {
      const alerts = alertmanagerAlerts(message);
      if (alerts.length > 0) await postJson(name, url, alerts, { signal });
    },
  };
}
