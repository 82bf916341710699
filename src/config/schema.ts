import * as p from './parsers.js';
import * as pa from './alerting-parsers.js';
import type { Parser } from './parsers.js';
import * as pj from './parsers-jobs.js';

/** Routes with their own stricter limit (`RATE_LIMIT_ROUTES`). */
export const ROUTE_LIMIT_NAMES = ['login', 'register', 'refresh', 'password', 'introspect'] as const;
/** What a detector may do when it fires. */
export const DETECTOR_ACTIONS = ['block_ip', 'lock_account', 'notify'] as const;
/** The maintenance jobs (src/jobs/registry.ts); each has a `JOB_<NAME>_CRON` schedule. */
export const JOB_NAMES = ['cleanup-tokens', 'cleanup-refresh-tokens', 'retention-security-events', 'retention-job-runs', 'retention-metric-aggregates', 'backup', 'backup-prune', 'report-daily', 'report-weekly'] as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One environment variable: how it parses, its default, and whether it is a secret. */
export interface VarSpec<T = unknown> {
  env: string;
  parser: Parser<T>;
  /** The default as it would be written in the environment; undefined = unset. */
  default?: string | ((env: Record<string, string | undefined>) => string | undefined);
  secret?: boolean;
  doc: string;
}

const v = <T>(spec: VarSpec<T>): VarSpec<T> => spec;
const inProduction = (env: Record<string, string | undefined>) => env.ENVIRONMENT?.trim() === 'production';

/**
 * Every setting Vigil reads, in one place. README's configuration table lists exactly these
 * (a test keeps them in step). Names follow the seeds where they name one.
 */
export const VARS = {
  environment: v({ env: 'ENVIRONMENT', parser: p.oneOf('development', 'staging', 'production'), default: 'development', doc: 'Deployment environment; `production` turns on the production checks.' }),
  host: v({ env: 'API_HOST', parser: p.host, default: '127.0.0.1', doc: 'Address to listen on (`0.0.0.0` in containers).' }),
  port: v({ env: 'API_PORT', parser: p.int(0, 65535), default: '8000', doc: 'Port to listen on.' }),
  trustProxy: v({ env: 'TRUST_PROXY', parser: p.trustProxy, default: 'false', doc: 'Which proxies may set `X-Forwarded-For`: `false` (use the socket address), a hop count, or a comma list of proxy IPs/CIDRs (`loopback` for an nginx on the same host). `true` trusts any hop.' }),
  maxRequestSize: v({ env: 'MAX_REQUEST_SIZE', parser: p.byteSize, default: '10MB', doc: 'Largest accepted request body.' }),
  requestTimeoutSeconds: v({ env: 'REQUEST_TIMEOUT_SECONDS', parser: p.int(1, 3600), default: '30', doc: 'Time a client has to send a whole request.' }),
  shutdownTimeoutSeconds: v({ env: 'SHUTDOWN_TIMEOUT_SECONDS', parser: p.int(1, 600), default: '10', doc: 'How long SIGTERM waits for in-flight requests before closing anyway.' }),
  corsOrigins: v({ env: 'API_CORS_ORIGINS', parser: p.corsOrigins, default: '', doc: 'Browser origins allowed to call the API (CORS, with credentials): a comma list of exact origins `scheme://host[:port]` without a path, e.g. `https://app.example.com`. Empty: no CORS headers at all. `*` allows any origin without credentials and fails the production check.' }),
  trustedHosts: v({ env: 'API_TRUSTED_HOSTS', parser: p.trustedHosts, default: '', doc: 'Host names the API answers to, comma separated; `*.example.com` matches any subdomain (not `example.com` itself); ports are ignored. Other `Host` headers get 400 `untrusted_host`; `/health` and `/health/ready` answer any host (probes). Empty: any host.' }),

  databaseUrl: v({ env: 'DATABASE_URL', parser: p.databaseUrl, default: 'sqlite:./data/vigil.db', secret: true, doc: '`sqlite:PATH` (embedded default) or `postgres://user:pass@host:5432/db`. The password part is redacted everywhere.' }),
  databasePoolMax: v({ env: 'DATABASE_POOL_MAX', parser: p.int(1, 1000), default: '10', doc: 'PostgreSQL pool size per instance.' }),
  databaseSsl: v({ env: 'DATABASE_SSL', parser: p.bool, default: 'false', doc: 'Use TLS to PostgreSQL (verifying the server certificate).' }),
  databaseAutoMigrate: v({ env: 'DATABASE_AUTO_MIGRATE', parser: p.bool, default: (env) => (inProduction(env) ? 'false' : 'true'), doc: 'Apply pending migrations at start. Default true outside production; in production run `vigil migrate`.' }),
  dbSlowQueryMs: v({ env: 'DB_SLOW_QUERY_MS', parser: p.int(0, 3_600_000), default: '500', doc: 'Queries slower than this many milliseconds are logged (`db` logger, level warn) with their operation, table and duration, never their SQL or parameters. `0` logs every query.' }),
  allowSqliteInProduction: v({ env: 'ALLOW_SQLITE_IN_PRODUCTION', parser: p.bool, default: 'false', doc: 'Explicit opt-in to run production on SQLite (single instance only).' }),
  redisUrl: v({ env: 'REDIS_URL', parser: p.redisUrl, secret: true, doc: '`redis://[user:pass@]host:6379[/db]` (or `rediss://` for TLS): counters, blocks, lockouts and revocations shared by every instance. Unset: kept in this process (one instance). When Redis is unreachable each instance falls back to its own memory, logs it once, and uses Redis again when it returns. The password part is redacted everywhere.' }),
  redisKeyPrefix: v({ env: 'REDIS_KEY_PREFIX', parser: p.str({ minLength: 1 }), default: 'vigil:', doc: 'Prefix of every Redis key and pub/sub channel Vigil uses (separate deployments sharing one Redis need different prefixes).' }),

  jwtAlgorithm: v({ env: 'JWT_ALGORITHM', parser: p.oneOf('EdDSA', 'ES256', 'HS256'), default: 'EdDSA', doc: 'Access-token signature: `EdDSA` (Ed25519, default) or `ES256` with keys kept in the database and published in JWKS; `HS256` with `JWT_SECRET` for compatibility.' }),
  jwtSecret: v({ env: 'JWT_SECRET', parser: p.str(), secret: true, doc: 'HMAC secret for `JWT_ALGORITHM=HS256` (at least 32 characters in production).' }),
  jwtAccessTtl: v({ env: 'JWT_ACCESS_TTL', parser: p.duration(1000), default: '15m', doc: 'Access-token lifetime.' }),
  refreshTokenTtl: v({ env: 'REFRESH_TOKEN_TTL', parser: p.duration(60_000), default: '30d', doc: 'Refresh-token (session) lifetime.' }),
  refreshReuseGrace: v({ env: 'REFRESH_REUSE_GRACE', parser: { ...p.duration(0), parse: (raw: string) => (raw.trim() === '0' ? 0 : p.duration(1).parse(raw)) }, default: '10s', doc: 'Window in which a just-rotated refresh token may be used again (concurrent tabs) without counting as reuse. `0` disables.' }),
  jwtIssuer: v({ env: 'JWT_ISSUER', parser: p.str({ minLength: 1 }), default: 'vigil', doc: 'The `iss` claim of access tokens.' }),
  jwtAudience: v({ env: 'JWT_AUDIENCE', parser: p.str({ minLength: 1 }), default: 'vigil-api', doc: 'The `aud` claim of access tokens.' }),
  signingKeyEncryptionKey: v({ env: 'SIGNING_KEY_ENCRYPTION_KEY', parser: p.str({ minLength: 32 }), secret: true, doc: 'Key (32+ characters) that encrypts signing private keys in the database. Unset: a random key is kept in `SIGNING_KEY_FILE`.' }),
  signingKeyFile: v({ env: 'SIGNING_KEY_FILE', parser: p.str({ minLength: 1 }), default: './data/vigil.key', doc: 'File (mode 0600) holding the key-encryption key when `SIGNING_KEY_ENCRYPTION_KEY` is unset; created on first start.' }),

  publicApiKey: v({ env: 'PUBLIC_API_KEY', parser: p.str(), secret: true, doc: 'A static API key with `public` scope (e.g. for resource servers calling introspect).' }),
  adminApiKey: v({ env: 'ADMIN_API_KEY', parser: p.str(), secret: true, doc: 'A static API key with `admin` scope.' }),
  createDefaultUsers: v({ env: 'CREATE_DEFAULT_USERS', parser: p.bool, default: 'false', doc: 'Create an admin and a user with random passwords (printed once) when no users exist. Refused in production.' }),

  // Protection: rate limits, brute-force defence, emergency mode (docs/operations.md#protection).
  rateLimitEnabled: v({ env: 'RATE_LIMIT_ENABLED', parser: p.bool, default: 'true', doc: 'Rate limiting on or off (keep it on outside tests).' }),
  rateLimitGlobal: v({ env: 'RATE_LIMIT_GLOBAL', parser: p.int(1, 100_000_000), default: '10000', doc: 'Requests per minute across all clients (shared by all instances when `REDIS_URL` is set).' }),
  rateLimitIp: v({ env: 'RATE_LIMIT_IP', parser: p.int(1, 10_000_000), default: '100', doc: 'Requests per minute per client IP (IPv6: per `RATE_LIMIT_IPV6_PREFIX` network).' }),
  rateLimitUser: v({ env: 'RATE_LIMIT_USER', parser: p.int(1, 10_000_000), default: '1000', doc: 'Requests per minute per authenticated user or API key.' }),
  rateLimitRoutes: v({ env: 'RATE_LIMIT_ROUTES', parser: p.routeRates(ROUTE_LIMIT_NAMES), default: 'login=5/1m,register=10/1h,refresh=30/1m,password=5/15m,introspect=600/1m', doc: 'Stricter per-route limits, `name=N/window` (login, register, refresh and introspect per IP; password per user). Names left out keep their default.' }),
  rateLimitIpv6Prefix: v({ env: 'RATE_LIMIT_IPV6_PREFIX', parser: p.int(32, 128), default: '64', doc: 'IPv6 clients are limited and blocked per network of this prefix length.' }),
  accountLockoutThreshold: v({ env: 'ACCOUNT_LOCKOUT_THRESHOLD', parser: p.int(1, 1000), default: '5', doc: 'Failed logins within `ACCOUNT_LOCKOUT_WINDOW` that lock an account.' }),
  accountLockoutWindow: v({ env: 'ACCOUNT_LOCKOUT_WINDOW', parser: p.duration(1000), default: '1h', doc: 'Window in which failed logins of one account are counted.' }),
  accountLockoutDuration: v({ env: 'ACCOUNT_LOCKOUT_DURATION', parser: p.duration(1000), default: '1h', doc: 'How long a locked account stays locked (`vigil user unlock` ends it early).' }),
  ipBlockThreshold: v({ env: 'IP_BLOCK_THRESHOLD', parser: p.int(1, 100_000), default: '20', doc: 'Failed logins from one IP within an hour that block it (more than 10 in 5 minutes also blocks; see `DETECT_BRUTE_FORCE_IP`).' }),
  ipBlockDuration: v({ env: 'IP_BLOCK_DURATION', parser: p.duration(1000), default: '24h', doc: 'First automatic block of an IP; each repeat offence within 30 days doubles it.' }),
  ipBlockMaxDuration: v({ env: 'IP_BLOCK_MAX_DURATION', parser: p.duration(1000), default: '30d', doc: 'Cap on the doubling block duration of repeat offenders.' }),
  autoBlockThreshold: v({ env: 'AUTO_BLOCK_THRESHOLD', parser: p.int(1, 1_000_000), default: '50', doc: 'Rate-limit violations from one IP within an hour that block it.' }),
  ipAllowlist: v({ env: 'IP_ALLOWLIST', parser: p.ipTargets, default: '', doc: 'IPs and CIDR ranges never blocked and not limited per IP (monitoring, office, load balancer health checks).' }),
  emergencyAuthMode: v({ env: 'EMERGENCY_AUTH_MODE', parser: p.bool, default: 'false', doc: 'Emergency auth mode from the start: registration closed, only admins may sign in, short access tokens. Also `vigil emergency on|off`.' }),
  emergencyAccessTtl: v({ env: 'EMERGENCY_ACCESS_TTL', parser: p.duration(1000), default: '5m', doc: 'Access-token lifetime while emergency mode is on.' }),
  detectBruteForceIp: v({ env: 'DETECT_BRUTE_FORCE_IP', parser: p.detector(DETECTOR_ACTIONS), default: '10/5m:block_ip', doc: 'More than N failed logins from one IP within the window. Responses: block_ip, lock_account, notify.' }),
  detectBruteForceUser: v({ env: 'DETECT_BRUTE_FORCE_USER', parser: p.detector(DETECTOR_ACTIONS), default: '5/1h:notify', doc: 'More than N failed logins against one account within the window (the lockout itself is `ACCOUNT_LOCKOUT_*`).' }),
  detectFailureSpike: v({ env: 'DETECT_FAILURE_SPIKE', parser: p.detector(DETECTOR_ACTIONS), default: '100/1h:notify', doc: 'More than N failed logins in total within the window.' }),
  detectCredentialStuffing: v({ env: 'DETECT_CREDENTIAL_STUFFING', parser: p.detector(DETECTOR_ACTIONS), default: '10/10m:block_ip', doc: 'One IP failing against more than N distinct accounts within the window.' }),
  detectRegistrationBurst: v({ env: 'DETECT_REGISTRATION_BURST', parser: p.detector(DETECTOR_ACTIONS), default: '5/1h:notify', doc: 'More than N registrations from one IP within the window.' }),
  detectRapidRefresh: v({ env: 'DETECT_RAPID_REFRESH', parser: p.detector(DETECTOR_ACTIONS), default: '20/1m:notify', doc: 'One session (refresh family) refreshing more than N times within the window.' }),
  detectAuthErrorSpike: v({ env: 'DETECT_AUTH_ERROR_SPIKE', parser: p.detector(DETECTOR_ACTIONS), default: '50/5m:notify', doc: 'More than N 401/403 responses to one IP within the window.' }),
  securityEventQueueMax: v({ env: 'SECURITY_EVENT_QUEUE_MAX', parser: p.int(100, 10_000_000), default: '100000', doc: 'Security events held in memory while waiting to be written to the `security_events` table (in batches, off the request path). Beyond it events are dropped, counted and logged.' }),

  // Maintenance: the scheduler, its jobs, backups and reports (docs/operations.md#maintenance).
  jobsEnabled: v({ env: 'JOBS_ENABLED', parser: p.bool, default: 'true', doc: 'Run the maintenance scheduler in `vigil serve` (one instance at a time runs each job, through a lease in the database). `false`: only `vigil jobs run` runs them.' }),
  jobsTimezone: v({ env: 'JOBS_TIMEZONE', parser: pj.timeZone, default: 'UTC', doc: 'Time zone the `JOB_*_CRON` schedules are read in.' }),
  jobLeaseTtl: v({ env: 'JOB_LEASE_TTL', parser: p.duration(1000), default: '60s', doc: 'Lease of a running job, renewed every third of it while the job runs; an instance that dies mid-run frees its jobs after at most this long.' }),
  jobCleanupTokensCron: v({ env: 'JOB_CLEANUP_TOKENS_CRON', parser: pj.cronOrOff, default: '0 2 * * *', doc: 'When `cleanup-tokens` runs (deletes expired token-blacklist entries). Cron, 5 fields (6 with seconds first), or `off`.' }),
  jobCleanupRefreshTokensCron: v({ env: 'JOB_CLEANUP_REFRESH_TOKENS_CRON', parser: pj.cronOrOff, default: '15 2 * * *', doc: 'When `cleanup-refresh-tokens` runs (expired and long-revoked refresh tokens).' }),
  jobRetentionSecurityEventsCron: v({ env: 'JOB_RETENTION_SECURITY_EVENTS_CRON', parser: pj.cronOrOff, default: '30 2 * * *', doc: 'When `retention-security-events` runs.' }),
  jobRetentionJobRunsCron: v({ env: 'JOB_RETENTION_JOB_RUNS_CRON', parser: pj.cronOrOff, default: '40 2 * * *', doc: 'When `retention-job-runs` runs.' }),
  jobRetentionMetricAggregatesCron: v({ env: 'JOB_RETENTION_METRIC_AGGREGATES_CRON', parser: pj.cronOrOff, default: '50 2 * * *', doc: 'When `retention-metric-aggregates` runs (the per-minute aggregates of the alerting SLO reports, when that table exists).' }),
  jobBackupCron: v({ env: 'JOB_BACKUP_CRON', parser: pj.cronOrOff, default: '0 1 * * *', doc: 'When `backup` runs (a verified backup into `BACKUP_DIR`).' }),
  jobBackupPruneCron: v({ env: 'JOB_BACKUP_PRUNE_CRON', parser: pj.cronOrOff, default: '30 1 * * *', doc: 'When `backup-prune` runs (deletes backups older than `BACKUP_RETENTION_DAYS`).' }),
  jobReportDailyCron: v({ env: 'JOB_REPORT_DAILY_CRON', parser: pj.cronOrOff, default: '0 6 * * *', doc: 'When `report-daily` runs (the last 24 hours, into `REPORTS_DIR`).' }),
  jobReportWeeklyCron: v({ env: 'JOB_REPORT_WEEKLY_CRON', parser: pj.cronOrOff, default: '0 6 * * 0', doc: 'When `report-weekly` runs (the last 7 days, into `REPORTS_DIR`).' }),
  cleanupBatchSize: v({ env: 'CLEANUP_BATCH_SIZE', parser: p.int(1, 1_000_000), default: '5000', doc: 'Rows deleted per statement by the cleanup and retention jobs (short statements hold no long lock).' }),
  cleanupBatchPause: v({ env: 'CLEANUP_BATCH_PAUSE', parser: { ...p.duration(0), parse: (raw: string) => (raw.trim() === '0' ? 0 : p.duration(1).parse(raw)) }, default: '20ms', doc: 'Pause between two cleanup batches, so requests get the database in between. `0`: none.' }),
  refreshTokenRevokedRetentionDays: v({ env: 'REFRESH_TOKEN_REVOKED_RETENTION_DAYS', parser: p.int(1, 3650), default: '30', doc: 'Revoked refresh tokens are deleted this many days after their revocation (expired ones as soon as they expire).' }),
  securityEventRetentionDays: v({ env: 'SECURITY_EVENT_RETENTION_DAYS', parser: p.int(1, 3650), default: '90', doc: 'Security events older than this many days are deleted by `retention-security-events`.' }),
  jobRunRetentionDays: v({ env: 'JOB_RUN_RETENTION_DAYS', parser: p.int(1, 3650), default: '90', doc: 'Job runs (`job_runs`) older than this many days are deleted by `retention-job-runs`.' }),
  metricAggregateRetentionDays: v({ env: 'METRIC_AGGREGATE_RETENTION_DAYS', parser: p.int(1, 3650), default: '35', doc: 'Per-minute metric aggregates older than this many days (whole UTC days) are summed into daily totals and deleted by `retention-metric-aggregates`.' }),
  sloDailyRetentionDays: v({ env: 'SLO_DAILY_RETENTION_DAYS', parser: p.int(1, 3650), default: '400', doc: 'Daily totals of the metric aggregates (the status page\'s 90-day uptime, long SLO windows) older than this many days are deleted by `retention-metric-aggregates`; at least `METRIC_AGGREGATE_RETENTION_DAYS`.' }),
  backupDir: v({ env: 'BACKUP_DIR', parser: p.str({ minLength: 1 }), default: './data/backups', doc: 'Where `vigil backup create` and the `backup` job write backups (files mode 0600, with a manifest each).' }),
  backupRetentionDays: v({ env: 'BACKUP_RETENTION_DAYS', parser: p.int(1, 3650), default: '30', doc: 'Backups older than this many days are deleted by `backup-prune` and `vigil backup prune`.' }),
  reportsDir: v({ env: 'REPORTS_DIR', parser: p.str({ minLength: 1 }), default: './data/reports', doc: 'Where the daily and weekly reports are written (Markdown and JSON).' }),

  // Prometheus metrics (docs/operations.md#metrics).
  prometheusMetrics: v({ env: 'PROMETHEUS_METRICS', parser: p.bool, default: 'true', doc: 'Serve Prometheus metrics at `/metrics`. `false`: no metrics are collected and `/metrics` is a 404.' }),
  metricsPort: v({ env: 'METRICS_PORT', parser: p.int(1, 65535), doc: 'Serve `/metrics` on this port of `API_HOST` instead of the API port (e.g. `9100`, reachable only from the monitoring network); the API port then has no `/metrics`. Unset: on the API port.' }),
  metricsToken: v({ env: 'METRICS_TOKEN', parser: p.str({ minLength: 16 }), secret: true, doc: 'Bearer token `/metrics` requires (`Authorization: Bearer <token>`, at least 16 characters; Prometheus: `authorization.credentials_file`). Unset: `/metrics` answers anyone who can reach it.' }),

  passwordMinLength: v({ env: 'PASSWORD_MIN_LENGTH', parser: p.int(8, 128), default: '12', doc: 'Minimum password length (maximum is 128).' }),
  passwordMinStrength: v({ env: 'PASSWORD_MIN_STRENGTH', parser: p.int(0, 4), default: '3', doc: 'Minimum zxcvbn score (0–4) a new password must reach; rejects common and context-specific passwords.' }),
  passwordHashMemoryKib: v({ env: 'PASSWORD_HASH_MEMORY_KIB', parser: p.int(1024, 4_194_304), default: '19456', doc: 'argon2id memory cost in KiB (OWASP: 19456).' }),
  passwordHashIterations: v({ env: 'PASSWORD_HASH_ITERATIONS', parser: p.int(1, 100), default: '2', doc: 'argon2id time cost (OWASP: 2).' }),
  passwordHashParallelism: v({ env: 'PASSWORD_HASH_PARALLELISM', parser: p.int(1, 16), default: '1', doc: 'argon2id parallelism (OWASP: 1).' }),

  logLevel: v({ env: 'LOG_LEVEL', parser: p.oneOf(...LOG_LEVELS), default: 'info', doc: 'Lowest level logged: trace, debug, info, warn, error, fatal or silent.' }),
  logLevels: v({ env: 'LOG_LEVELS', parser: p.levelMap(LOG_LEVELS), default: '', doc: 'Per-component levels, e.g. `security=info,db=warn`.' }),
  logPretty: v({ env: 'LOG_PRETTY', parser: p.bool, default: 'false', doc: 'Human-readable log lines (development terminals; needs the dev dependency pino-pretty).' }),
  logPii: v({ env: 'LOG_PII', parser: p.bool, default: 'false', doc: 'Log email addresses unmasked.' }),
  logFile: v({ env: 'LOG_FILE', parser: p.str({ minLength: 1 }), doc: 'Also write the log to this file (stdout stays on), rotated by size in a worker thread: `vigil.log` is written as `vigil.1.log`, `vigil.2.log`, … (the highest number is the current file). Give it a directory of its own. Unset: stdout only.' }),
  logMaxSize: v({ env: 'LOG_MAX_SIZE', parser: p.byteSize, default: '100MB', doc: 'Size at which `LOG_FILE` is rotated (`100MB`, `10k`, `1g`, or bytes).' }),
  logBackupCount: v({ env: 'LOG_BACKUP_COUNT', parser: p.int(0, 1000), default: '5', doc: 'Rotated log files kept besides the current one; older ones are deleted.' }),
  healthCheckTimeout: v({ env: 'HEALTH_CHECK_TIMEOUT', parser: p.duration(100), default: '2s', doc: 'How long `/health/ready` and `/health/detailed` wait for each dependency (database, Redis) before reporting it as `timeout`.' }),
  sentryDsn: v({ env: 'SENTRY_DSN', parser: p.sentryDsn, secret: true, doc: 'Report unexpected errors (every 5xx, unhandled rejections) to Sentry at this DSN. Ignored when `DEBUG=true`. Request data is not sent and secrets are scrubbed (docs/operations.md#error-tracking).' }),
  sentryTracesSampleRate: v({ env: 'SENTRY_TRACES_SAMPLE_RATE', parser: p.fraction, default: '0.1', doc: 'Sentry `tracesSampleRate` (0–1).' }),
  // Alerting, incidents and SLOs (docs/operations.md#alerting).
  alertingEnabled: v({ env: 'ALERTING_ENABLED', parser: p.bool, default: 'true', doc: 'Evaluate the alert rules in this process and send notifications. `false`: no rules, no notifications, no incidents from alerts.' }),
  alertEvalInterval: v({ env: 'ALERT_EVAL_INTERVAL', parser: p.duration(100), default: '15s', doc: 'How often the alert rules are evaluated (and signals sampled).' }),
  alertRulesFile: v({ env: 'ALERT_RULES_FILE', parser: p.str({ minLength: 1 }), doc: 'YAML file with custom rules, overrides of the default pack (`enabled: false` drops one), `routes` and `inhibit_rules`; validated at start (errors name the rule and the field).' }),
  alertRoutes: v({ env: 'ALERT_ROUTES', parser: pa.alertRoutes, default: '', doc: 'Routes: `;`-separated `matchers:receivers` (matchers joined by `&`, `*` for all), e.g. `severity=critical:pagerduty,slack;category=security:slack;severity=info:email`. Empty: every alert to the webhook, Slack and Alertmanager receivers that are configured, critical ones also to email and PagerDuty.' }),
  alertGroupBy: v({ env: 'ALERT_GROUP_BY', parser: pa.labelNames, default: 'alertname', doc: 'Labels that group alerts into one notification (Alertmanager `group_by`).' }),
  alertGroupWait: v({ env: 'ALERT_GROUP_WAIT', parser: pa.durationOrZero, default: '1s', doc: 'How long a new group waits for more alerts before its first notification (`group_wait`).' }),
  alertGroupInterval: v({ env: 'ALERT_GROUP_INTERVAL', parser: p.duration(1000), default: '5m', doc: 'How long a group waits before notifying about changes (`group_interval`).' }),
  alertRepeatInterval: v({ env: 'ALERT_REPEAT_INTERVAL', parser: p.duration(1000), default: '4h', doc: 'How often a group that still fires is notified again (`repeat_interval`).' }),
  alertExternalUrl: v({ env: 'ALERT_EXTERNAL_URL', parser: p.str({ minLength: 1 }), doc: 'The URL operators reach Vigil at, for links in notifications (`runbook_url`, `generatorURL`). Unset: `http://API_HOST:API_PORT`.' }),
  alertWebhookUrl: v({ env: 'ALERT_WEBHOOK_URL', parser: p.str({ minLength: 1 }), secret: true, doc: 'Receiver `webhook`: POSTs Alertmanager\'s webhook payload (version 4) here, so receivers written for Alertmanager work unchanged. Alone it is enough to get every alert.' }),
  alertSlackWebhookUrl: v({ env: 'ALERT_SLACK_WEBHOOK_URL', parser: p.str({ minLength: 1 }), secret: true, doc: 'Receiver `slack`: a Slack incoming-webhook URL.' }),
  alertPagerdutyRoutingKey: v({ env: 'ALERT_PAGERDUTY_ROUTING_KEY', parser: p.str({ minLength: 1 }), secret: true, doc: 'Receiver `pagerduty`: the integration (routing) key of a PagerDuty Events API v2 service.' }),
  alertPagerdutyUrl: v({ env: 'ALERT_PAGERDUTY_URL', parser: p.str({ minLength: 1 }), default: 'https://events.pagerduty.com/v2/enqueue', doc: 'The PagerDuty Events API v2 endpoint.' }),
  alertAlertmanagerUrl: v({ env: 'ALERT_ALERTMANAGER_URL', parser: p.str({ minLength: 1 }), doc: 'Receiver `alertmanager`: base URL of an external Alertmanager; alerts are POSTed to `/api/v2/alerts`.' }),
  alertEmailEnabled: v({ env: 'ALERT_EMAIL_ENABLED', parser: p.bool, default: 'false', doc: 'Receiver `email` over SMTP (`SMTP_*`, `ALERT_EMAIL_FROM`, `ALERT_EMAIL_TO`); without `ALERT_ROUTES` it gets every critical alert.' }),
  smtpHost: v({ env: 'SMTP_HOST', parser: p.str({ minLength: 1 }), doc: 'SMTP server for alert email.' }),
  smtpPort: v({ env: 'SMTP_PORT', parser: p.int(1, 65535), default: '587', doc: 'SMTP port (587 with STARTTLS, 465 with `SMTP_SECURE=true`).' }),
  smtpSecure: v({ env: 'SMTP_SECURE', parser: p.bool, default: 'false', doc: 'TLS from the first byte (port 465); `false` upgrades with STARTTLS when the server offers it.' }),
  smtpUser: v({ env: 'SMTP_USER', parser: p.str({ minLength: 1 }), doc: 'SMTP user name; unset: no authentication.' }),
  smtpPassword: v({ env: 'SMTP_PASSWORD', parser: p.str(), secret: true, doc: 'SMTP password.' }),
  alertEmailFrom: v({ env: 'ALERT_EMAIL_FROM', parser: p.str({ minLength: 3 }), doc: 'Sender address of alert email.' }),
  alertEmailTo: v({ env: 'ALERT_EMAIL_TO', parser: p.str({ minLength: 3 }), doc: 'Recipients of alert email, comma separated.' }),
  alertMaxAttempts: v({ env: 'ALERT_MAX_ATTEMPTS', parser: p.int(1, 1000), default: '30', doc: 'Delivery attempts of a notification before it is dead-lettered (with backoff capped at `ALERT_RETRY_MAX_DELAY`, 30 attempts cover about two hours).' }),
  alertRetryMaxDelay: v({ env: 'ALERT_RETRY_MAX_DELAY', parser: p.duration(100), default: '5m', doc: 'Longest wait between two attempts (exponential backoff with jitter from 1 s; a longer `Retry-After` wins).' }),
  alertSendTimeout: v({ env: 'ALERT_SEND_TIMEOUT', parser: p.duration(100), default: '10s', doc: 'Timeout of one delivery attempt.' }),
  maintenanceWindows: v({ env: 'MAINTENANCE_WINDOWS', parser: pa.maintenanceWindows, default: '', doc: 'Weekly UTC windows that mute non-critical alerts, e.g. `sun 02:00-04:00` (seed 003), comma separated; `daily 03:00-03:30` for every day.' }),
  incidentEscalationReceiver: v({ env: 'INCIDENT_ESCALATION_RECEIVER', parser: p.str({ minLength: 1 }), doc: 'Receiver notified when an incident is not acknowledged within its response target (P0 15 m, P1 1 h, P2 4 h, P3 24 h). Unset: the receivers of critical alerts.' }),
  incidentEscalationMax: v({ env: 'INCIDENT_ESCALATION_MAX', parser: p.int(0, 100), default: '3', doc: 'Escalations per incident (one per response target while unacknowledged).' }),
  sloTargets: v({ env: 'SLO_TARGETS', parser: pa.sloTargets, default: '', doc: 'SLO and KPI targets over the defaults of seeds 001/003: `availability=99.9,p95_ms=500,p99_ms=1000,error_rate=0.1,login_success=98,registration_success=95,token_validation_success=99.9,failed_login_rate=2`.' }),
  sloWindow: v({ env: 'SLO_WINDOW', parser: p.duration(3_600_000), default: '30d', doc: 'The SLO period (error budget and `vigil slo report` default window); reports reach back up to 90 days.' }),
  alertDigestReceiver: v({ env: 'ALERT_DIGEST_RECEIVER', parser: p.str({ minLength: 1 }), doc: 'Receiver of the weekly info digest (Mondays 09:00 UTC). Unset: `email` when enabled, else none.' }),
  debug: v({ env: 'DEBUG', parser: p.bool, default: 'false', doc: 'Debug mode (verbose logs). Refused in production.' }),
} as const;

export type VarName = keyof typeof VARS;
export type RawValues = { [K in VarName]: (typeof VARS)[K] extends VarSpec<infer T> ? T | undefined : never };
