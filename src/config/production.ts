import type { Config } from './config.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface ReadinessItem {
  id: string;
  status: CheckStatus;
  message: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

/** Values copied from examples and tutorials that must never guard a production system. */
const KNOWN_DEFAULTS = new Set(
  [
    'secret', 'changeme', 'change-me', 'changeit', 'password', 'your-secret-key', 'your-strong-random-secret-here',
    'your-jwt-secret', 'jwt-secret', 'supersecret', 'super-secret', 'default', 'test', 'development', 'dev-secret',
    'your-api-key', 'public-api-key', 'admin-api-key', 'your-public-api-key', 'your-admin-api-key',
    'change-this-in-production', 'please-change-me', 'insecure',
  ].map((s) => s.toLowerCase()),
);

export const MIN_SECRET_LENGTH = 32;

function secretItem(id: string, name: string, value: string | undefined, required: boolean): ReadinessItem {
  if (value === undefined) {
    return required
      ? { id, status: 'fail', message: `${name} is not set`, fix: `Set ${name} to a random value of ${MIN_SECRET_LENGTH}+ characters (openssl rand -hex 32)` }
      : { id, status: 'pass', message: `${name} is not set (disabled)` };
  }
  if (KNOWN_DEFAULTS.has(value.toLowerCase()) || /^(.)\1*$/.test(value)) {
    return { id, status: 'fail', message: `${name} is a known default or trivial value`, fix: `Generate a new one: openssl rand -hex 32` };
  }
  if (value.length < MIN_SECRET_LENGTH) {
    return { id, status: 'fail', message: `${name} is ${value.length} characters, shorter than ${MIN_SECRET_LENGTH}`, fix: `Use at least ${MIN_SECRET_LENGTH} random characters: openssl rand -hex 32` };
  }
  return { id, status: 'pass', message: `${name} is set and long enough` };
}

/**
 * The production-readiness report: every rule a production deployment must meet, evaluated for
 * this configuration whatever its ENVIRONMENT. A `fail` stops a production start.
 */
export function productionReadiness(config: Config): ReadinessItem[] {
  const items: ReadinessItem[] = [];
  items.push(
    config.environment === 'production'
      ? { id: 'environment', status: 'pass', message: 'ENVIRONMENT=production' }
      : { id: 'environment', status: 'warn', message: `ENVIRONMENT=${config.environment}`, fix: 'Set ENVIRONMENT=production on production hosts' },
  );
  items.push(secretItem('jwt_secret', 'JWT_SECRET', config.jwt.secret, config.jwt.algorithm === 'HS256'));
  items.push(secretItem('public_api_key', 'PUBLIC_API_KEY', config.apiKeys.public, false));
  items.push(secretItem('admin_api_key', 'ADMIN_API_KEY', config.apiKeys.admin, false));
  items.push(
    config.createDefaultUsers
      ? { id: 'default_users', status: 'fail', message: 'CREATE_DEFAULT_USERS=true', fix: 'Set CREATE_DEFAULT_USERS=false and create admins with `vigil user create-admin`' }
      : { id: 'default_users', status: 'pass', message: 'Default users are not created' },
  );
  items.push(
    config.debug
      ? { id: 'debug', status: 'fail', message: 'DEBUG=true', fix: 'Set DEBUG=false' }
      : { id: 'debug', status: 'pass', message: 'Debug mode is off' },
  );
  if (config.database.kind === 'sqlite') {
    items.push(
      config.database.allowSqliteInProduction
        ? { id: 'database', status: 'warn', message: 'SQLite in production (explicitly allowed): one instance only', fix: 'Use PostgreSQL (DATABASE_URL=postgres://…) to run more than one instance' }
        : { id: 'database', status: 'fail', message: 'Database is SQLite', fix: 'Set DATABASE_URL=postgres://… or ALLOW_SQLITE_IN_PRODUCTION=true for a single instance' },
    );
  } else {
    items.push({ id: 'database', status: 'pass', message: 'Database is PostgreSQL' });
    items.push(
      config.database.ssl
        ? { id: 'database_ssl', status: 'pass', message: 'TLS to PostgreSQL' }
        : { id: 'database_ssl', status: 'warn', message: 'DATABASE_SSL=false', fix: 'Set DATABASE_SSL=true unless PostgreSQL is on a private network' },
    );
  }
  if (config.jwt.algorithm !== 'HS256') {
    items.push(
      config.jwt.keyEncryptionKey
        ? { id: 'signing_key_encryption', status: 'pass', message: 'Signing keys encrypted with SIGNING_KEY_ENCRYPTION_KEY' }
        : { id: 'signing_key_encryption', status: 'warn', message: `Signing keys encrypted with a key file (${config.jwt.keyFile})`, fix: 'Set SIGNING_KEY_ENCRYPTION_KEY from your secret store so the database alone cannot sign tokens' },
    );
  } else {
    items.push({ id: 'jwt_algorithm', status: 'warn', message: 'JWT_ALGORITHM=HS256: resource servers need the shared secret', fix: 'Use EdDSA (default) so resource servers verify with the public JWKS' });
  }
  if (config.jwt.accessTtlMs > 3_600_000) {
    items.push({ id: 'access_ttl', status: 'warn', message: 'JWT_ACCESS_TTL is longer than 1h', fix: 'Keep access tokens short (15m) and rely on refresh' });
  }
  if (config.http.trustProxy === true) {
    items.push({ id: 'trust_proxy', status: 'warn', message: 'TRUST_PROXY=true trusts X-Forwarded-For from any client', fix: 'List your proxies instead, e.g. TRUST_PROXY=loopback or 10.0.0.0/8' });
  }
  const cors = config.http.corsOrigins;
  items.push(
    cors === '*'
      ? { id: 'cors_origins', status: 'fail', message: 'API_CORS_ORIGINS=* lets any website call the API from its users\' browsers', fix: 'List the exact origins of your web apps, e.g. API_CORS_ORIGINS=https://app.example.com (or leave it empty for no CORS)' }
      : cors.some((o) => o.startsWith('http://'))
        ? { id: 'cors_origins', status: 'warn', message: 'API_CORS_ORIGINS lists a plain-http origin: anyone on its network path can make credentialed calls', fix: 'Serve the web app over https and list its https:// origin' }
        : { id: 'cors_origins', status: 'pass', message: cors.length === 0 ? 'CORS is off' : `CORS allows ${cors.length} listed origin${cors.length === 1 ? '' : 's'}` },
  );
  items.push(metricsItem(config.metrics));
  if (config.log.pii) {
    items.push({ id: 'log_pii', status: 'warn', message: 'LOG_PII=true writes email addresses to logs', fix: 'Set LOG_PII=false' });
  }
  if (config.database.autoMigrate && config.environment === 'production') {
    items.push({ id: 'auto_migrate', status: 'warn', message: 'Migrations run at start', fix: 'Run `vigil migrate` as a deploy step and set DATABASE_AUTO_MIGRATE=false' });
  }
  return items;
}

/** /metrics tells the request mix, failure rates and blocks: on the API port it needs a token. */
function metricsItem(metrics: Config['metrics']): ReadinessItem {
  if (!metrics.enabled) return { id: 'metrics', status: 'pass', message: 'Metrics are off (PROMETHEUS_METRICS=false)' };
  if (metrics.token !== undefined) return secretItem('metrics', 'METRICS_TOKEN', metrics.token, true);
  if (metrics.port !== undefined) return { id: 'metrics', status: 'pass', message: `/metrics only on METRICS_PORT=${metrics.port}, without a token` };
  return {
    id: 'metrics',
    status: 'warn',
    message: '/metrics is served on the API port without METRICS_TOKEN: anyone who reaches the API can read it',
    fix: 'Set METRICS_TOKEN (openssl rand -hex 32), or METRICS_PORT on a port only the monitoring network reaches',
  };
}

export const failures = (items: ReadinessItem[]) => items.filter((i) => i.status === 'fail');
