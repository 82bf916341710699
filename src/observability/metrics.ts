import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SECURITY_EVENT_TYPES } from '../security-monitoring/events.js';
import { LIVE_KINDS } from '../admin/stream/feed.js';

/** How a caller proved who they are (`vigil_auth_attempts_total{method}`). */
export const AUTH_METHODS = ['password', 'refresh', 'api_key'] as const;
/**
 * What came of an attempt: `locked` is an account lockout; `blocked` a refusal by protection rather
 * than by the credentials (blocked address, rate limit, emergency mode).
 */
export const AUTH_RESULTS = ['success', 'failure', 'locked', 'blocked'] as const;
/** The rate-limit layers (`route` covers every per-route limit: login, register, …). */
export const LIMIT_TYPES = ['global', 'ip', 'user', 'route'] as const;

export type AuthMethod = (typeof AUTH_METHODS)[number];
export type AuthResult = (typeof AUTH_RESULTS)[number];
export type LimitType = (typeof LIMIT_TYPES)[number];

/** 5 ms … 5 s: an auth API answers in milliseconds; a login costs one argon2id hash. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** 0.5 ms … 5 s: an SQLite lookup takes microseconds, a PostgreSQL round trip a millisecond. */
const DB_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];
/** Maintenance jobs take from milliseconds (nothing to delete) to an hour (a large backup). */
const JOB_BUCKETS = [0.1, 1, 10, 60, 300, 900, 3600];
/** argon2id at the OWASP parameters takes tens of milliseconds. */
const HASH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Vigil's Prometheus metrics: one registry per process (never prom-client's global one), the
 * instruments the hooks feed, and prom-client's default process and Node.js metrics.
 * Label values are closed sets or route templates; never a user id, an email or a raw path.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly authAttempts: Counter<'method' | 'result'>;
  readonly rateLimitExceeded: Counter<'limit_type'>;
  readonly securityEvents: Counter<'type'>;
  readonly registrations: Counter;
  readonly dbQueryDuration: Histogram<'operation' | 'table'>;
  readonly passwordHashDuration: Histogram;
  /** Maintenance jobs (src/jobs): last success (Unix seconds), run durations by outcome, failures. */
  readonly jobLastSuccess: Gauge<'job'>;
  readonly jobDuration: Histogram<'job' | 'status'>;
  readonly jobFailures: Counter<'job'>;
  /** The admin console's live stream (src/admin/stream): authenticated connections, messages sent. */
  readonly streamClients: Gauge;
  readonly streamMessages: Counter<'kind'>;
  /** The exposition, in Prometheus text format 0.0.4. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

export function createMetrics(deps: { version: string }): Metrics {
  const registry = new Registry();
  const registers = [registry];

  collectDefaultMetrics({ register: registry });
  new Gauge({ name: 'vigil_build_info', help: 'Always 1; the running version in the label.', labelNames: ['version'], registers }).set({ version: deps.version }, 1);

  const authAttempts = new Counter({
    name: 'vigil_auth_attempts_total',
    help: 'Authentication attempts by method (password, refresh, api_key) and result (success, failure, locked, blocked).',
    labelNames: ['method', 'result'] as const,
    registers,
  });
  const rateLimitExceeded = new Counter({
    name: 'vigil_rate_limit_exceeded_total',
    help: 'Requests refused with 429 by rate-limit layer (global, ip, user, route).',
    labelNames: ['limit_type'] as const,
    registers,
  });
  const securityEvents = new Counter({ name: 'vigil_security_events_total', help: 'Security events emitted, by type.', labelNames: ['type'] as const, registers });
  // Every known series exists from the start at 0, so rate() and alerts see the first increase.
  for (const method of AUTH_METHODS) for (const result of AUTH_RESULTS) authAttempts.inc({ method, result }, 0);
  for (const limit_type of LIMIT_TYPES) rateLimitExceeded.inc({ limit_type }, 0);
  for (const type of SECURITY_EVENT_TYPES) securityEvents.inc({ type }, 0);
  const streamMessages = new Counter({ name: 'vigil_admin_stream_messages_sent_total', help: 'Messages sent to admin live stream clients (replays included), by kind.', labelNames: ['kind'] as const, registers });
  for (const kind of LIVE_KINDS) streamMessages.inc({ kind }, 0);

  return {
    registry,
    httpRequests: new Counter({
      name: 'vigil_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'vigil_http_request_duration_seconds',
      help: 'Time from receiving a request to the end of its response, by method and route template.',
      labelNames: ['method', 'route'] as const,
      buckets: HTTP_BUCKETS,
      registers,
    }),
    authAttempts,
    rateLimitExceeded,
    securityEvents,
    registrations: new Counter({ name: 'vigil_registrations_total', help: 'Accounts created (self-registration, the CLI, the default users).', registers }),
    dbQueryDuration: new Histogram({
      name: 'vigil_db_query_duration_seconds',
      help: 'Database query time by operation (select, insert, update, delete, other) and table.',
      labelNames: ['operation', 'table'] as const,
      buckets: DB_BUCKETS,
      registers,
    }),
    passwordHashDuration: new Histogram({
      name: 'vigil_password_hash_duration_seconds',
      help: 'Time of each argon2id computation (hashing a new password or verifying one).',
      buckets: HASH_BUCKETS,
      registers,
    }),
    jobLastSuccess: new Gauge({ name: 'vigil_job_last_success_timestamp_seconds', help: 'When each maintenance job last succeeded (Unix time, seconds); absent until it has.', labelNames: ['job'] as const, registers }),
    jobDuration: new Histogram({
      name: 'vigil_job_duration_seconds',
      help: 'Duration of maintenance job runs by job and status (succeeded, failed, dry_run).',
      labelNames: ['job', 'status'] as const,
      buckets: JOB_BUCKETS,
      registers,
    }),
    jobFailures: new Counter({ name: 'vigil_job_failures_total', help: 'Maintenance job runs that failed (error or timeout), by job.', labelNames: ['job'] as const, registers }),
    streamClients: new Gauge({ name: 'vigil_admin_stream_clients', help: 'Authenticated connections to the admin live stream on this instance.', registers }),
    streamMessages,
    scrape: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
