import type { MaintenanceWindow } from '../alerting/maintenance.js';
import type { SmtpSettings } from '../alerting/receivers/email.js';
import type { Route } from '../alerting/routing.js';
import type { SloTargets } from './alerting-parsers.js';
import type { ConfigIssue } from './load.js';
import type { RawValues } from './schema.js';

export interface AlertingConfig {
  enabled: boolean;
  evalIntervalMs: number;
  rulesFile: string | undefined;
  /** ALERT_ROUTES; undefined = the simple start (see receivers/index.ts defaultRoutes). */
  routes: Route[] | undefined;
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  externalUrl: string;
  receivers: {
    webhookUrl: string | undefined;
    slackWebhookUrl: string | undefined;
    pagerduty: { routingKey: string | undefined; url: string };
    alertmanagerUrl: string | undefined;
    email: SmtpSettings | undefined;
  };
  outbox: { maxAttempts: number; maxDelayMs: number; timeoutMs: number };
  maintenanceWindows: MaintenanceWindow[];
  digestReceiver: string | undefined;
}

export interface IncidentsConfig {
  escalationReceiver: string | undefined;
  escalationMax: number;
}

export interface SloConfig {
  windowMs: number;
  targets: SloTargets;
}

/** Settings that only make sense together. */
export function alertingIssues(r: RawValues): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (r.alertEmailEnabled) {
    for (const [env, value] of [['SMTP_HOST', r.smtpHost], ['ALERT_EMAIL_FROM', r.alertEmailFrom], ['ALERT_EMAIL_TO', r.alertEmailTo]] as const) {
      if (value === undefined) issues.push({ env, value: '(unset)', expected: 'a value when ALERT_EMAIL_ENABLED=true' });
    }
  }
  for (const [env, value] of [['ALERT_WEBHOOK_URL', r.alertWebhookUrl], ['ALERT_SLACK_WEBHOOK_URL', r.alertSlackWebhookUrl], ['ALERT_ALERTMANAGER_URL', r.alertAlertmanagerUrl], ['ALERT_PAGERDUTY_URL', r.alertPagerdutyUrl], ['ALERT_EXTERNAL_URL', r.alertExternalUrl]] as const) {
    if (value !== undefined && !/^https?:\/\/[^\s]+$/i.test(value)) issues.push({ env, value: env.endsWith('WEBHOOK_URL') ? '(hidden)' : JSON.stringify(value), expected: 'an http:// or https:// URL' });
  }
  return issues;
}

/** The alerting, incidents and slo sections of Config. */
export function alertingSections(r: RawValues): { alerting: AlertingConfig; incidents: IncidentsConfig; slo: SloConfig } {
  const host = r.host === '0.0.0.0' || r.host === '::' ? 'localhost' : r.host!;
  return {
    alerting: {
      enabled: r.alertingEnabled!,
      evalIntervalMs: r.alertEvalInterval!,
      rulesFile: r.alertRulesFile,
      routes: r.alertRoutes!.length > 0 ? r.alertRoutes : undefined,
      groupBy: r.alertGroupBy!,
      groupWaitMs: r.alertGroupWait!,
      groupIntervalMs: r.alertGroupInterval!,
      repeatIntervalMs: r.alertRepeatInterval!,
      externalUrl: (r.alertExternalUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${r.port}`).replace(/\/+$/, ''),
      receivers: {
        webhookUrl: r.alertWebhookUrl,
        slackWebhookUrl: r.alertSlackWebhookUrl,
        pagerduty: { routingKey: r.alertPagerdutyRoutingKey, url: r.alertPagerdutyUrl! },
        alertmanagerUrl: r.alertAlertmanagerUrl,
        email: r.alertEmailEnabled
          ? { host: r.smtpHost!, port: r.smtpPort!, secure: r.smtpSecure!, user: r.smtpUser, password: r.smtpPassword, from: r.alertEmailFrom!, to: r.alertEmailTo!.split(',').map((s) => s.trim()).filter(Boolean) }
          : undefined,
      },
      outbox: { maxAttempts: r.alertMaxAttempts!, maxDelayMs: r.alertRetryMaxDelay!, timeoutMs: r.alertSendTimeout! },
      maintenanceWindows: r.maintenanceWindows!,
      digestReceiver: r.alertDigestReceiver ?? (r.alertEmailEnabled ? 'email' : undefined),
    },
    incidents: { escalationReceiver: r.incidentEscalationReceiver, escalationMax: r.incidentEscalationMax! },
    slo: { windowMs: r.sloWindow!, targets: r.sloTargets! },
  };
}
