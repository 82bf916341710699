import type { DestinationStream } from 'pino';
import { createApiKeyService, type ApiKeyService } from './auth/api-keys.js';
import { createPasswordPolicy, type PasswordPolicy } from './auth/password-policy.js';
import { createPasswordHasher, type PasswordHasher } from './auth/passwords.js';
import { createAuthService, type AuthService } from './auth/service.js';
import type { Config } from './config/index.js';
import { createHealthService, type HealthService } from './observability/health.js';
import { componentLogger, createLogger, type Logger } from './observability/logger.js';
import { createLogSecurityEvents } from './security-monitoring/log-sink.js';
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
  health: HealthService;
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
  /** Receives every security event (tests, and later the event store and detectors). */
  securityListeners?: ((e: SecurityEvent) => void)[];
}

export class SchemaNotCurrentError extends Error {
  constructor() {
    super('The database schema is not current: run `vigil migrate` (or set DATABASE_AUTO_MIGRATE=true)');
    this.name = 'SchemaNotCurrentError';
  }
}

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config, overrides.logDestination);
  const log = (component: string) => componentLogger(logger, config, component);
  const database = overrides.database ?? openDatabase(config.database);
  try {
    if (overrides.migrate ?? config.database.autoMigrate) {
      const applied = await migrateToLatest(database.db);
      if (applied.length > 0) log('db').info({ migrations: applied }, `applied ${applied.length} migration(s)`);
    } else if (!(await migrationsCurrent(database.db))) {
      throw new SchemaNotCurrentError();
    }

    const repos = createRepositories(database);
    const onError = (e: unknown) => log('vigil').error({ err: e }, 'background task failed');
    const events = createLogSecurityEvents({ logger: log('security'), clock, pii: config.log.pii, listeners: overrides.securityListeners ?? [] });

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
    const tokens = createTokenService({ config: jwt, clock, codec, keys, revocations: createRevocationList(), blacklist: repos.blacklist, refreshTokens: repos.refreshTokens, refresh });
    await tokens.init();

    const hasher = await createPasswordHasher(config.passwords.argon2);
    const policy = createPasswordPolicy(config.passwords);
    const auth = createAuthService({ users: repos.users, hasher, policy, tokens, events, clock, refreshTtlMs: jwt.refreshTtlMs, algorithm: jwt.algorithm, onError });
    const apiKeys = createApiKeyService({ repo: repos.apiKeys, clock, events, staticKeys: config.apiKeys, onError });
    const health = createHealthService({ config, database, clock });
    await health.start();

    return {
      config, clock, logger, log, database, hasher, policy, tokens, auth, apiKeys, events, health,
      async close() {
        health.stop();
        tokens.close();
        await database.close();
      },
    };
  } catch (e) {
    await database.close();
    throw e;
  }
}
