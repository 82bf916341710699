import type { AlertingConfig } from '../../config/alerting-config.js';
import type { Route } from '../routing.js';
import { alertmanagerReceiver } from './alertmanager.js';
import { emailReceiver } from './email.js';
import { pagerDutyReceiver } from './pagerduty.js';
import { slackReceiver } from './slack.js';
import type { Receiver } from './types.js';
import { webhookReceiver } from './webhook.js';

export { DeliveryError, type Receiver } from './types.js';

/** Every configured receiver by name: webhook, slack, email, pagerduty, alertmanager. */
export function buildReceivers(config: AlertingConfig): Map<string, Receiver> {
  const r = config.receivers;
  const list: Receiver[] = [];
  if (r.webhookUrl) list.push(webhookReceiver('webhook', r.webhookUrl));
  if (r.slackWebhookUrl) list.push(slackReceiver('slack', r.slackWebhookUrl));
  if (r.email) list.push(emailReceiver('email', r.email, config.outbox.timeoutMs));
  if (r.pagerduty.routingKey) list.push(pagerDutyReceiver('pagerduty', r.pagerduty.url, r.pagerduty.routingKey));
  if (r.alertmanagerUrl) list.push(alertmanagerReceiver('alertmanager', r.alertmanagerUrl));
  return new Map(list.map((x) => [x.name, x]));
}

/**
 * The simple start (seed 004), when ALERT_ROUTES and the rules file give no routes: every alert to
 * the webhook, Slack and Alertmanager receivers; critical alerts also to email and PagerDuty.
 */
export function defaultRoutes(receivers: ReadonlyMap<string, Receiver>): Route[] {
  const all = ['webhook', 'slack', 'alertmanager'].filter((n) => receivers.has(n));
  const critical = ['email', 'pagerduty'].filter((n) => receivers.has(n));
  const routes: Route[] = [];
  if (all.length > 0) routes.push({ matchers: [], receivers: all });
  if (critical.length > 0) routes.push({ matchers: [{ name: 'severity', op: '=', value: 'critical' }], receivers: critical });
  return routes;
}
