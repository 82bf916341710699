import type { Config } from './config.js';

/** Shows that a secret is set without revealing it: length only. */
export function maskValue(raw: string): string {
  return raw.length === 0 ? '(empty)' : `****** (${raw.length} characters)`;
}

/** A database URL with its password removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '******';
    return u.toString();
  } catch {
    // Not parseable as a URL: still never show what sits between `user:` and `@`.
    return url.replace(/(\/\/[^/:@]*:)[^@]*@/, '$1******@');
  }
}

const SECRET = '[REDACTED]';

/** Webhook URLs carry tokens; routing keys and SMTP passwords are secrets. */
function redactReceivers(r: Config['alerting']['receivers']) {
  return {
    ...r,
    webhookUrl: setOrNot(r.webhookUrl),
    slackWebhookUrl: setOrNot(r.slackWebhookUrl),
    pagerduty: { ...r.pagerduty, routingKey: setOrNot(r.pagerduty.routingKey) },
    email: r.email && { ...r.email, password: setOrNot(r.email.password) },
  };
}
const setOrNot = (v: string | undefined) => (v === undefined ? null : SECRET);

/** The effective configuration with every secret replaced, safe to show to an admin. */
export function redactConfig(config: Config): unknown {
  return {
    ...config,
    database: { ...config.database, url: redactUrl(config.database.url) },
    redis: { ...config.redis, url: config.redis.url === undefined ? null : redactUrl(config.redis.url) },
    jwt: { ...config.jwt, secret: setOrNot(config.jwt.secret), keyEncryptionKey: setOrNot(config.jwt.keyEncryptionKey) },
    apiKeys: { public: setOrNot(config.apiKeys.public), admin: setOrNot(config.apiKeys.admin) },
    metrics: { ...config.metrics, token: setOrNot(config.metrics.token) },
    sentry: { ...config.sentry, dsn: setOrNot(config.sentry.dsn) },
    alerting: { ...config.alerting, receivers: redactReceivers(config.alerting.receivers) },
  };
}
