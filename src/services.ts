import { dirname, resolve } from 'node:path';
import type { DestinationStream } from 'pino';
import { createAdmin, type Admin } from './admin/index.js';
import { createApiKeyService, type ApiKeyService } from './auth/api-keys.js';
import { createPasswordPolicy, type PasswordPolicy } from './auth/password-policy.js';
import { createPasswordHasher, type PasswordHasher } from './auth/passwords.js';
import { createAuthService, type AuthService } from './auth/service.js';
import type { UserRepository } from './auth/ports.js';
import type { Config } from './config/index.js';
import { createAlerting, type Alerting } from './alerting/service.js';
import { connectIncidents, type Incidents } from './incidents/index.js';
import { recordAutomatedActions } from './incidents/actions.js';
import { createIncidentRepository } from './storage/repositories/incidents.js';
import { createAdminStatsRepository, createUserAdminRepository } from './storage/repositories/user-admin.js';
import type { Receiver } from './alerting/receivers/index.js';
import { createAlertHistoryRepository, createOutboxRepository, createSilenceRepository, createSloRepository } from './storage/repositories/alerting.js';
import { createSloService, type SloService } from './incidents/slo.js';
import { connectWeeklyDigest } from './incidents/digest.js';
import { createHealthService, type HealthService } from './observability/health.js';
import { createMaintenance, type Maintenance } from './jobs/index.js';
import { createDetailedHealth, poolUsage, type DetailedHealth } from './observability/health-detailed.js';
import { createResourceMonitor, type ResourceMonitor } from './observability/resources.js';
import { createErrorTracker, type ErrorTracker } from './observability/sentry.js';
import { createQueryMonitor } from './observability/db-monitor.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { countedApiKeys, countedRefresh, timedHasher } from './observability/metrics-auth.js';
import { countSecurityEvents } from './observability/metrics-events.js';
import { createScheduledGauges, registerLiveGauges, type ScheduledGauges } from './observability/metrics-gauges.js';
import { createProtection, type Protection } from './protection/index.js';
import { openKv, redisClientOf } from './storage/kv/index.js';
import type { KeyValueStore } from './storage/kv/ports.js';
import { componentLogger, createLogger, createLogOutput, type Logger } from './observability/logger.js';
import { createLogSecurityEvents } from './security-monitoring/log-sink.js';
import { createSecurityEventStore } from './security-monitoring/event-store.js';
import { createSecurityEventLog, type SecurityEventLog } from './security-monitoring/service.js';
import { connectLiveSources, openLiveFeed, type LiveFeed } from './admin/stream/index.js';
import type { SecurityEvent, SecurityEvents } from './security-monitoring/events.js';
import { systemClock, type Clock } from './shared/clock.js';
import { createRepositories, migrateToLatest, migrationsCurrent, openDatabase, type Database } from './storage/index.js';
import {
  createAccessTokenCodec,
  createRefreshTokens,
  createRevocationList,
  createSigningKeyStore,
  createTokenService,
  deriveKey,
  keyEncryption,
  loadOrCreateKeyFile,
  type TokenService,
} from './tokens/index.js';

/** Everything the app and the CLI use, built from config. */
export interface Services {
  config: Config;
  clock: Clock;
  logger: Logger;
  log: (component: string) => Logger;
  database: Database;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  tokens: TokenService;
  auth: AuthService;
  apiKeys: ApiKeyService;
  events: SecurityEvents;
  /** The persistent security event log (batched writes; admin API and `vigil events tail` read it). */
  securityEvents: SecurityEventLog;
  health: HealthService;
  /** `/health/detailed`: every section, each bounded by HEALTH_CHECK_TIMEOUT. */
  detailedHealth: () => Promise<DetailedHealth>;
  /** CPU, memory, event-loop lag and free disk, sampled every 15 s. */
  resources: ResourceMonitor;
  /** Sentry when SENTRY_DSN is set (and not DEBUG); otherwise it does nothing. */
  errorTracking: ErrorTracker;
  /** Prometheus metrics; undefined when PROMETHEUS_METRICS=false. */
  metrics: Metrics | undefined;
  /** The metrics gauges computed by query every 30 s (`refresh()` computes them now); undefined without metrics. */
  gauges: ScheduledGauges | undefined;
  protection: Protection;
  kv: KeyValueStore;
  /** User accounts (admin routes look users up). */
  users: UserRepository;
  /** The admin API's accounts, sessions and overview figures. */
  admin: Admin;
  /** Alert rules, silences, routing and the notification outbox; undefined when ALERTING_ENABLED=false. `start()` is for the server. */
  alerting: Alerting | undefined;
  /** P0–P3 incidents opened by alerts; undefined when ALERTING_ENABLED=false. */
  incidents: Incidents | undefined;
  /** Maintenance: jobs, their scheduler and history, backups (`start()` is for `vigil serve` only). */
  maintenance: Maintenance;
  /** SLO and KPI reports over the per-minute aggregates (recorded by alerting's evaluation, when enabled). */
  slo: SloService;
  /** The admin console's live feed: security events, alert and incident changes, health changes (Redis Stream with REDIS_URL). */
  live: LiveFeed;
  close(): Promise<void>;
}

/** Every dependency can be replaced in tests. */
export interface ServiceOverrides {
  clock?: Clock;
  logger?: Logger;
  logDestination?: DestinationStream;
  database?: Database;
  /** Apply pending migrations (default: config.database.autoMigrate). */
  migrate?: boolean;
  kv?: KeyValueStore;
  /** Receives every security event (tests, and later the event store and detectors). */
  securityListeners?: ((e: SecurityEvent) => void)[];
  /** Alert receivers by name instead of those configured (tests point them at local servers). */
  alertReceivers?: Map<string, Receiver>;
}

export class SchemaNotCurrentError extends Error {
  constructor() {
    super('The database schema is not current: run `vigil migrate` (or set DATABASE_AUTO_MIGRATE=true)');
    this.name = 'SchemaNotCurrentError';
  }
}

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  // The server's own output (stdout, and LOG_FILE rotated) unless a test or the CLI gives one.
  const logOutput = overrides.logger || overrides.logDestination ? undefined : createLogOutput(config);
  const logger = overrides.logger ?? logOutput?.logger ?? createLogger(config, overrides.logDestination);
  const log = (component: string) => componentLogger(logger, config, component);
  const metrics = config.metrics.enabled ? createMetrics({ version: config.version }) : undefined;
  const database = overrides.database ?? openDatabase(config.database, { onQuery: createQueryMonitor({ metrics, logger: log('db'), slowQueryMs: config.dbMonitor.slowQueryMs }) });
  let openedKv: KeyValueStore | undefined;
  let openedLive: LiveFeed | undefined;
  let errorTracking: ErrorTracker | undefined;
  try {
    errorTracking = await createErrorTracker(config, log('vigil'));
    if (overrides.migrate ?? config.database.autoMigrate) {
      const applied = await migrateToLatest(database.db);
      if (applied.length > 0) log('db').info({ migrations: applied }, `applied ${applied.length} migration(s)`);
    } else if (!(await migrationsCurrent(database.db))) {
      throw new SchemaNotCurrentError();
    }

    const repos = createRepositories(database);
    // Redis when REDIS_URL is set (starts degraded, never fails, when Redis is away); else in-process.
    const kv = overrides.kv ?? (await openKv(config, { logger: log('kv'), clock }));
    openedKv = kv;
    const onError = (e: unknown) => log('vigil').error({ err: e }, 'background task failed');
    // The detectors observe every event; they are built after the events they also emit.
    let observe: (e: SecurityEvent) => void = () => undefined;
    // The alert signals count events too; alerting is built last.
    let alertObserve: (e: SecurityEvent) => void = () => undefined;
    // The admin live stream gets every event too (fire and forget); its sources are wired last.
    const live = await openLiveFeed({ config, kv, clock, logger: log('live') });
    openedLive = live;
    let liveObserve: (e: SecurityEvent) => void = () => undefined;
    // Every event is also stored, in batches written off the request path.
    const securityEvents = createSecurityEventLog({
      repo: repos.securityEvents,
      store: createSecurityEventStore({ repo: repos.securityEvents, logger: log('security-events'), clock, queueMax: config.securityEvents.queueMax }),
    });
    const events = createLogSecurityEvents({
      logger: log('security'),
      clock,
      pii: config.log.pii,
      listeners: [securityEvents.store.record, ...(metrics ? [countSecurityEvents(metrics)] : []), ...(overrides.securityListeners ?? []), (e) => observe(e), (e) => alertObserve(e), (e) => liveObserve(e)],
    });

    const jwt = config.jwt;
    const keys =
      jwt.algorithm === 'HS256'
        ? undefined
        : createSigningKeyStore({
            repo: repos.signingKeys,
            encryption: keyEncryption(jwt.keyEncryptionKey ? deriveKey(jwt.keyEncryptionKey) : loadOrCreateKeyFile(jwt.keyFile)),
            clock,
            alg: jwt.algorithm,
            retiredKeyLifetimeMs: jwt.accessTtlMs + 60_000,
          });
    const codec = createAccessTokenCodec({ clock, algorithm: jwt.algorithm, secret: jwt.secret, keys, issuer: jwt.issuer, audience: jwt.audience, ttlMs: jwt.accessTtlMs });
    const refresh = createRefreshTokens({ repo: repos.refreshTokens, clock, ttlMs: jwt.refreshTtlMs, reuseGraceMs: jwt.refreshReuseGraceMs });
    const tokens = createTokenService({ config: jwt, clock, codec, keys, revocations: createRevocationList(), blacklist: repos.blacklist, refreshTokens: repos.refreshTokens, refresh, bus: kv, logger: log('tokens') });
    await tokens.init();

    const protection = createProtection({
      config: config.protection,
      kv,
      repos: { ipBlocks: repos.ipBlocks, accountLocks: repos.accountLocks, settings: repos.settings },
      clock,
      events,
      log,
      redis: redisClientOf(kv),
      redisKeyPrefix: config.redis.keyPrefix,
    });
    observe = protection.observe;
    await protection.init();

    const argon2 = await createPasswordHasher(config.passwords.argon2);
    const hasher = metrics ? timedHasher(argon2, metrics) : argon2;
    const policy = createPasswordPolicy(config.passwords);
    const guard = { lockout: protection.lockout, emergency: { enabled: protection.emergency.enabled, accessTtlMs: config.protection.emergency.accessTtlMs } };
    const authService = createAuthService({ users: repos.users, hasher, policy, tokens, events, clock, refreshTtlMs: jwt.refreshTtlMs, algorithm: jwt.algorithm, onError, guard });
    const apiKeyService = createApiKeyService({ repo: repos.apiKeys, clock, events, staticKeys: config.apiKeys, onError });
    const auth = metrics ? countedRefresh(authService, metrics) : authService;
    const apiKeys = metrics ? countedApiKeys(apiKeyService, metrics) : apiKeyService;
    const tracker = errorTracking;
    const health = createHealthService({
      config,
      database,
      kv,
      clock,
      features: () => ({ emergency_mode: protection.emergency.enabled(), metrics: config.metrics.enabled, error_tracking: tracker.enabled }),
    });
    await health.start();
    const resources = createResourceMonitor({ dataDir: dataDirectory(config), clock });
    resources.start();
    const detailedHealth = createDetailedHealth({
      health,
      clock,
      timeoutMs: config.health.checkTimeoutMs,
      pool: () => poolUsage(database.pool, config.database.poolMax),
      blacklistStats: () => tokens.blacklistStats(),
      lockedAccounts: async () => (await protection.lockout.listLocked()).length,
      blockedIps: () => protection.ipBlocks.activeCount(),
      resources: () => resources.latest(),
    });
    if (metrics) {
      registerLiveGauges(metrics, {
        databaseUp: () => health.snapshot().services.database.status === 'connected',
        redisUp: () => kv.status() === 'up',
        blockedIps: () => protection.ipBlocks.activeCount(),
        pool: database.pool,
        diskFreePercent: () => resources.latest().disk_free_percent,
      });
    }
    const gauges = metrics && createScheduledGauges({ metrics, repos: { blacklist: repos.blacklist, accountLocks: repos.accountLocks, refreshTokens: repos.refreshTokens }, clock, onError });
    await gauges?.start();
    const alerting = config.alerting.enabled
      ? await createAlerting({
          config,
          clock,
          logger: log('alerting'),
          repos: { history: createAlertHistoryRepository(database.db), silences: createSilenceRepository(database.db), outbox: createOutboxRepository(database.db) },
          sources: {
            registry: metrics?.registry,
            databaseUp: () => health.snapshot().services.database.status === 'connected',
            redisUp: () => (config.redis.url === undefined ? undefined : kv.status() === 'up'),
            healthy: () => health.snapshot().status === 'healthy',
            resources: () => resources.latest(),
            blockedIps: () => protection.ipBlocks.activeCount(),
            db: database.db as never,
          },
          receivers: overrides.alertReceivers,
        })
      : undefined;
    const incidents = alerting && connectIncidents({ config, clock, logger: log('incidents'), repo: createIncidentRepository(database.db), alerting, registry: metrics?.registry });
    if (alerting && incidents) {
      // Blocks, lockouts and emergency-mode switches go on the timeline of the incidents open at the time.
      const recordActions = recordAutomatedActions(incidents, onError);
      alertObserve = (e) => {
        alerting.observe(e);
        recordActions(e);
      };
    }
    const admin = createAdmin({
      repos: { users: createUserAdminRepository(database.db, database.dialect), stats: createAdminStatsRepository(database.db), refreshTokens: repos.refreshTokens },
      tokens, lockout: protection.lockout, blockedIps: () => protection.ipBlocks.activeCount(), events, clock, flushEvents: () => securityEvents.store.flush(),
    });
    const maintenance = createMaintenance({ config, database, clock, metrics, log: log('jobs'), health: () => health.snapshot(), resources: () => resources.latest() });
    const slo = createSloService({ repo: createSloRepository(database.db), clock, targets: config.slo.targets, instanceId: maintenance.instanceId, logger: log('slo') });
    alerting?.onSample((now, interval) => slo.record(now, interval));
    // The weekly info digest rides on report-weekly (seed 000's info alerts).
    if (alerting && config.alerting.digestReceiver) connectWeeklyDigest({ maintenance, alerting, slo, db: database.db as never, receiver: config.alerting.digestReceiver, log: log('slo') });
    const liveSources = connectLiveSources({ feed: live, instanceId: maintenance.instanceId, alerting, incidents, health: () => health.snapshot() });
    liveObserve = liveSources.observe;

    return {
      config, clock, logger, log, database, hasher, policy, tokens, auth, apiKeys, events, securityEvents, health, metrics, gauges, protection, kv, users: repos.users, admin,
      detailedHealth, resources, errorTracking: tracker, maintenance, slo,
      alerting,
      incidents,
      live,
      async close() {
        liveSources.stop();
        await alerting?.stop();
        // Runs in progress finish (or reach their next batch) before the database closes.
        await maintenance.stop();
        health.stop();
        resources.stop();
        await gauges?.stop();
        await protection.close();
        tokens.close();
        await live.close();
        await kv.close();
        // Stored before the database closes: nothing recorded until now is lost.
        await securityEvents.store.close();
        await database.close();
        await tracker.close();
        // Last, so every line above is in the file.
        await logOutput?.close();
      },
    };
  } catch (e) {
    await openedLive?.close().catch(() => undefined);
    await openedKv?.close().catch(() => undefined);
    await database.close();
    await errorTracking?.close();
    await logOutput?.close();
    throw e;
  }
}

/** Vigil's data directory (free disk is reported for its file system): the SQLite file's, else the signing key file's. */
function dataDirectory(config: Config): string {
  const db = config.database;
  return dirname(resolve(db.kind === 'sqlite' && db.path !== ':memory:' ? db.path : config.jwt.keyFile));
}
