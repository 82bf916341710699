import { readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import type { Config } from './config.js';
import { InvalidValue } from './parsers.js';
import { VARS, type RawValues, type VarName } from './schema.js';
import { maskValue } from './redact.js';
import { alertingIssues, alertingSections } from './alerting-config.js';
import { VERSION } from '../version.js';

export type Env = Record<string, string | undefined>;

export interface ConfigIssue {
  env: string;
  value: string;
  expected: string;
}

/** Every bad variable at once, so an operator fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `Invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  ${i.env}=${i.value}: expected ${i.expected}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/**
 * Reads a dotenv file. Returns {} when it does not exist; a file that exists but cannot be read
 * is an error, not silently ignored.
 */
export function readEnvFile(path: string): Env {
  try {
    return parseDotenv(readFileSync(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
}

/** Merges `.env` under the real environment: a variable set in the environment wins. */
export function environmentWithDotenv(processEnv: Env, envFile = '.env'): Env {
  return { ...readEnvFile(envFile), ...processEnv };
}

function parseRaw(env: Env): { values: RawValues; issues: ConfigIssue[] } {
  const values = {} as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  for (const [name, spec] of Object.entries(VARS)) {
    const given = env[spec.env];
    const fallback = typeof spec.default === 'function' ? spec.default(env) : spec.default;
    const raw = given !== undefined && given !== '' ? given : fallback;
    if (raw === undefined) {
      values[name] = undefined;
      continue;
    }
    try {
      values[name] = spec.parser.parse(raw);
    } catch (e) {
      if (!(e instanceof InvalidValue)) throw e;
      issues.push({ env: spec.env, value: spec.secret ? maskValue(raw) : JSON.stringify(raw), expected: e.expected });
    }
  }
  return { values: values as RawValues, issues };
}

/** Parses and validates the environment into a frozen Config, or throws ConfigError listing every problem. */
export function loadConfig(env: Env): Config {
  const { values: r, issues } = parseRaw(env);
  const need = <K extends VarName>(k: K) => r[k] as NonNullable<RawValues[K]>;
  if (r.jwtAlgorithm === 'HS256' && !r.jwtSecret) {
    issues.push({ env: VARS.jwtSecret.env, value: '(unset)', expected: 'a secret when JWT_ALGORITHM=HS256' });
  }
  issues.push(...alertingIssues(r));
  if (r.sloDailyRetentionDays !== undefined && r.metricAggregateRetentionDays !== undefined && r.sloDailyRetentionDays < r.metricAggregateRetentionDays) {
    // Days would be deleted as soon as their minutes are summed into them.
    issues.push({ env: VARS.sloDailyRetentionDays.env, value: JSON.stringify(String(r.sloDailyRetentionDays)), expected: 'at least METRIC_AGGREGATE_RETENTION_DAYS' });
  }
  if (r.metricsPort !== undefined && r.metricsPort === r.port) {
    issues.push({ env: VARS.metricsPort.env, value: JSON.stringify(String(r.metricsPort)), expected: 'a port other than API_PORT (unset it to serve /metrics on the API port)' });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const config: Config = {
    environment: need('environment'),
    version: VERSION,
    debug: need('debug'),
    http: {
      host: need('host'),
      port: need('port'),
      trustProxy: need('trustProxy'),
      maxRequestSize: need('maxRequestSize'),
      requestTimeoutMs: need('requestTimeoutSeconds') * 1000,
      shutdownTimeoutMs: need('shutdownTimeoutSeconds') * 1000,
      corsOrigins: need('corsOrigins'),
      trustedHosts: need('trustedHosts'),
    },
    database: {
      ...need('databaseUrl'),
      poolMax: need('databasePoolMax'),
      ssl: need('databaseSsl'),
      autoMigrate: need('databaseAutoMigrate'),
      allowSqliteInProduction: need('allowSqliteInProduction'),
    },
    redis: { url: r.redisUrl, keyPrefix: need('redisKeyPrefix') },
    jwt: {
      algorithm: need('jwtAlgorithm'),
      secret: r.jwtSecret,
      accessTtlMs: need('jwtAccessTtl'),
      refreshTtlMs: need('refreshTokenTtl'),
      refreshReuseGraceMs: need('refreshReuseGrace'),
      issuer: need('jwtIssuer'),
      audience: need('jwtAudience'),
      keyEncryptionKey: r.signingKeyEncryptionKey,
      keyFile: need('signingKeyFile'),
    },
    apiKeys: { public: r.publicApiKey, admin: r.adminApiKey },
    createDefaultUsers: need('createDefaultUsers'),
    protection: {
      rateLimits: {
        enabled: need('rateLimitEnabled'),
        global: { points: need('rateLimitGlobal'), windowMs: 60_000 },
        ip: { points: need('rateLimitIp'), windowMs: 60_000 },
        user: { points: need('rateLimitUser'), windowMs: 60_000 },
        // Names left out of RATE_LIMIT_ROUTES keep their defaults.
        routes: { ...VARS.rateLimitRoutes.parser.parse(VARS.rateLimitRoutes.default as string), ...need('rateLimitRoutes') } as Config['protection']['rateLimits']['routes'],
        ipv6Prefix: need('rateLimitIpv6Prefix'),
      },
      lockout: { threshold: need('accountLockoutThreshold'), windowMs: need('accountLockoutWindow'), durationMs: need('accountLockoutDuration') },
      ipBlocks: {
        hourlyThreshold: need('ipBlockThreshold'),
        durationMs: need('ipBlockDuration'),
        maxDurationMs: need('ipBlockMaxDuration'),
        rateLimitThreshold: need('autoBlockThreshold'),
        allowlist: need('ipAllowlist'),
      },
      emergency: { enabled: need('emergencyAuthMode'), accessTtlMs: need('emergencyAccessTtl') },
      detectors: {
        brute_force_ip: need('detectBruteForceIp'),
        brute_force_user: need('detectBruteForceUser'),
        failure_spike: need('detectFailureSpike'),
        credential_stuffing: need('detectCredentialStuffing'),
        registration_burst: need('detectRegistrationBurst'),
        rapid_refresh: need('detectRapidRefresh'),
        auth_error_spike: need('detectAuthErrorSpike'),
      },
    },
    securityEvents: { queueMax: need('securityEventQueueMax') },
    jobs: {
      enabled: need('jobsEnabled'),
      timezone: need('jobsTimezone'),
      leaseTtlMs: need('jobLeaseTtl'),
      // RawValues types an `off` schedule (null) as unset; it is null here, not undefined.
      schedules: {
        'cleanup-tokens': r.jobCleanupTokensCron ?? null,
        'cleanup-refresh-tokens': r.jobCleanupRefreshTokensCron ?? null,
        'retention-security-events': r.jobRetentionSecurityEventsCron ?? null,
        'retention-job-runs': r.jobRetentionJobRunsCron ?? null,
        'retention-metric-aggregates': r.jobRetentionMetricAggregatesCron ?? null,
        backup: r.jobBackupCron ?? null,
        'backup-prune': r.jobBackupPruneCron ?? null,
        'report-daily': r.jobReportDailyCron ?? null,
        'report-weekly': r.jobReportWeeklyCron ?? null,
      },
      batchSize: need('cleanupBatchSize'),
      batchPauseMs: need('cleanupBatchPause'),
      refreshRevokedRetentionDays: need('refreshTokenRevokedRetentionDays'),
      securityEventRetentionDays: need('securityEventRetentionDays'),
      jobRunRetentionDays: need('jobRunRetentionDays'),
      metricAggregateRetentionDays: need('metricAggregateRetentionDays'),
      sloDailyRetentionDays: need('sloDailyRetentionDays'),
      reportsDir: need('reportsDir'),
    },
    backups: { dir: need('backupDir'), retentionDays: need('backupRetentionDays') },
    dbMonitor: { slowQueryMs: need('dbSlowQueryMs') },
    metrics: { enabled: need('prometheusMetrics'), port: r.metricsPort, token: r.metricsToken },
    passwords: {
      minLength: need('passwordMinLength'),
      maxLength: 128,
      minStrength: need('passwordMinStrength'),
      argon2: {
        memoryCost: need('passwordHashMemoryKib'),
        timeCost: need('passwordHashIterations'),
        parallelism: need('passwordHashParallelism'),
      },
    },
    log: {
      level: need('debug') && need('logLevel') === 'info' ? 'debug' : need('logLevel'),
      levels: need('logLevels'),
      pretty: need('logPretty'),
      pii: need('logPii'),
      file: r.logFile === undefined ? undefined : { path: r.logFile, maxSizeBytes: need('logMaxSize'), backupCount: need('logBackupCount') },
    },
    health: { checkTimeoutMs: need('healthCheckTimeout') },
    sentry: { dsn: r.sentryDsn, tracesSampleRate: need('sentryTracesSampleRate') },
    ...alertingSections(r),
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
