import { join } from 'node:path';
import type { AlertingConfig } from '../../config/alerting-config.js';

/** A file the operator creates next to Alertmanager, holding a secret the export never writes. */
export interface SecretFile {
  receiver: string;
  path: string;
  /** The Vigil setting whose value goes into the file. */
  from: string;
}

/** What happened to the webhook URL (Alertmanager 0.25's webhook_config has no url_file). */
export type WebhookUrlDecision = 'written' | 'placeholder';

export interface ReceiversExport {
  receivers: Record<string, unknown>[];
  secretFiles: SecretFile[];
  webhook: WebhookUrlDecision | undefined;
  /** Receivers that are not exported (and routes to them dropped), with why. */
  notExported: { receiver: string; reason: string }[];
}

/** The file names under the secrets directory (docs/operations.md#export lists them). */
export const SECRET_FILE_NAMES = { slack: 'slack_api_url', pagerduty: 'pagerduty_routing_key', email: 'smtp_password' } as const;

/** Written instead of a webhook URL that carries a credential; `.invalid` never resolves. */
export const WEBHOOK_PLACEHOLDER = 'https://replace-with-alert-webhook-url.invalid/';

/**
 * Whether a webhook URL carries a credential and must not be written: a user or password, a query
 * string or a fragment (where tokens usually travel), or a path segment of 16 characters or more
 * (a token in the path, as Slack- or Teams-style hooks have). Plain `http://host:port/path` is written.
 */
export function urlHasSecret(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return true;
  }
  if (url.username || url.password || url.search || url.hash) return true;
  return url.pathname.split('/').some((segment) => segment.length >= 16);
}

/**
 * Alertmanager receivers for Vigil's configured ones. Secrets go through `*_file` settings that
 * point into `secretsDir`; Vigil's `alertmanager` receiver is the Alertmanager being configured,
 * so it has no counterpart.
 */
export function exportReceivers(config: AlertingConfig, configured: readonly string[], secretsDir: string): ReceiversExport {
  const r = config.receivers;
  const out: ReceiversExport = { receivers: [], secretFiles: [], webhook: undefined, notExported: [] };
  const secret = (receiver: keyof typeof SECRET_FILE_NAMES, from: string) => {
    const path = join(secretsDir, SECRET_FILE_NAMES[receiver]);
    out.secretFiles.push({ receiver, path, from });
    return path;
  };
  for (const name of configured) {
    if (name === 'webhook' && r.webhookUrl) {
      out.webhook = urlHasSecret(r.webhookUrl) ? 'placeholder' : 'written';
      out.receivers.push({ name, webhook_configs: [{ url: out.webhook === 'written' ? r.webhookUrl : WEBHOOK_PLACEHOLDER, send_resolved: true }] });
    } else if (name === 'slack' && r.slackWebhookUrl) {
      out.receivers.push({ name, slack_configs: [{ api_url_file: secret('slack', 'ALERT_SLACK_WEBHOOK_URL'), send_resolved: true }] });
    } else if (name === 'email' && r.email) {
      const e = r.email;
      const auth = e.user ? { auth_username: e.user, ...(e.password ? { auth_password_file: secret('email', 'SMTP_PASSWORD') } : {}) } : {};
      // Alertmanager speaks TLS from the first byte on port 465; elsewhere it insists on STARTTLS
      // (Vigil uses STARTTLS when the server offers it), so credentials never travel in clear.
      out.receivers.push({ name, email_configs: [{ to: e.to.join(', '), from: e.from, smarthost: `${e.host}:${e.port}`, ...auth, require_tls: e.port !== 465, send_resolved: true }] });
    } else if (name === 'pagerduty' && r.pagerduty.routingKey) {
      out.receivers.push({
        name,
        pagerduty_configs: [{ routing_key_file: secret('pagerduty', 'ALERT_PAGERDUTY_ROUTING_KEY'), url: r.pagerduty.url, severity: '{{ if .CommonLabels.severity }}{{ .CommonLabels.severity }}{{ else }}error{{ end }}', send_resolved: true }],
      });
    } else if (name === 'alertmanager') {
      out.notExported.push({ receiver: name, reason: 'Vigil forwards to this Alertmanager; in the exported config it is Alertmanager itself' });
    } else {
      out.notExported.push({ receiver: name, reason: 'not a receiver kind the export knows' });
    }
  }
  return out;
}
