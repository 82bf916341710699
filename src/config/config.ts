import type { IpTarget } from '../shared/ip.js';
import type { AlertingConfig, IncidentsConfig, SloConfig } from './alerting-config.js';
import type { CorsOrigins, DatabaseUrl, DetectorSpec, Rate, TrustProxy } from './parsers.js';
import type { DETECTOR_ACTIONS, JOB_NAMES, ROUTE_LIMIT_NAMES } from './schema.js';

export type RouteLimitName = (typeof ROUTE_LIMIT_NAMES)[number];
export type DetectorAction = (typeof DETECTOR_ACTIONS)[number];
export type JobName = (typeof JOB_NAMES)[number];
export type DetectorKind = 'brute_force_ip' | 'brute_force_user' | 'failure_spike' | 'credential_stuffing' | 'registration_burst' | 'rapid_refresh' | 'auth_error_spike';

export type Environment = 'development' | 'staging' | 'production';
export type JwtAlgorithm = 'EdDSA' | 'ES256' | 'HS256';

/** The validated, frozen configuration handed to every factory. Nothing else reads process.env. */
export interface Config {
  environment: Environment;
  version: string;
  debug: boolean;
  http: {
    host: string;
    port: number;
    trustProxy: TrustProxy;
    maxRequestSize: number;
    requestTimeoutMs: number;
    shutdownTimeoutMs: number;
    /** `*`, or exact origins allowed by CORS; empty = CORS off. */
    corsOrigins: CorsOrigins;
    /** Lower-case host names (`*.example.com` = any subdomain); empty = any host. */
    trustedHosts: string[];
  };
  database: DatabaseUrl & {
    poolMax: number;
    ssl: boolean;
    autoMigrate: boolean;
    allowSqliteInProduction: boolean;
  };
  /** Shared state between instances; no url = in-process. */
  redis: { url: string | undefined; keyPrefix: string };
  jwt: {
    algorithm: JwtAlgorithm;
    secret: string | undefined;
    accessTtlMs: number;
    refreshTtlMs: number;
    refreshReuseGraceMs: number;
    issuer: string;
    audience: string;
    keyEncryptionKey: string | undefined;
    keyFile: string;
  };
  apiKeys: { public: string | undefined; admin: string | undefined };
  createDefaultUsers: boolean;
  protection: {
    rateLimits: {
      enabled: boolean;
      global: Rate;
      ip: Rate;
      user: Rate;
      routes: Record<RouteLimitName, Rate>;
      ipv6Prefix: number;
    };
    lockout: { threshold: number; windowMs: number; durationMs: number };
    ipBlocks: { hourlyThreshold: number; durationMs: number; maxDurationMs: number; rateLimitThreshold: number; allowlist: IpTarget[] };
    emergency: { enabled: boolean; accessTtlMs: number };
    detectors: Record<DetectorKind, DetectorSpec<DetectorAction>>;
  };
  securityEvents: { queueMax: number };
  /** Maintenance: the scheduler (each schedule null = off), cleanup batches, retention, reports. */
  jobs: {
    enabled: boolean;
    timezone: string;
    leaseTtlMs: number;
    schedules: Record<JobName, string | null>;
    batchSize: number;
    batchPauseMs: number;
    refreshRevokedRetentionDays: number;
    securityEventRetentionDays: number;
    jobRunRetentionDays: number;
    metricAggregateRetentionDays: number;
    /** Daily totals (`slo_days`) are kept this many days (SLO_DAILY_RETENTION_DAYS). */
    sloDailyRetentionDays: number;
    reportsDir: string;
  };
  /** Backups: where, and for how long they are kept. */
  backups: { dir: string; retentionDays: number };
  /** The database monitor: queries slower than `slowQueryMs` are logged (DB_SLOW_QUERY_MS). */
  dbMonitor: { slowQueryMs: number };
  /** Prometheus metrics: off, on the API port (`port` undefined) or on a port of their own; optional bearer token. */
  metrics: { enabled: boolean; port: number | undefined; token: string | undefined };
  passwords: {
    minLength: number;
    maxLength: number;
    minStrength: number;
    argon2: { memoryCost: number; timeCost: number; parallelism: number };
  };
  log: {
    level: string;
    levels: Record<string, string>;
    pretty: boolean;
    pii: boolean;
    /** LOG_FILE: also written there, rotated at `maxSizeBytes`, `backupCount` old files kept. */
    file: { path: string; maxSizeBytes: number; backupCount: number } | undefined;
  };
  /** Timeout of each dependency check of /health/ready and /health/detailed. */
  health: { checkTimeoutMs: number };
  /** Error tracking; `dsn` undefined (or DEBUG on) = off. */
  sentry: { dsn: string | undefined; tracesSampleRate: number };
  /** Alert rules, routing, receivers and the outbox (docs/operations.md#alerting). */
  alerting: AlertingConfig;
  incidents: IncidentsConfig;
  slo: SloConfig;
}
