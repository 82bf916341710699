import * as p from './parsers.js';
import type { Parser } from './parsers.js';

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

  databaseUrl: v({ env: 'DATABASE_URL', parser: p.databaseUrl, default: 'sqlite:./data/vigil.db', secret: true, doc: '`sqlite:PATH` (embedded default) or `postgres://user:pass@host:5432/db`. The password part is redacted everywhere.' }),
  databasePoolMax: v({ env: 'DATABASE_POOL_MAX', parser: p.int(1, 1000), default: '10', doc: 'PostgreSQL pool size per instance.' }),
  databaseSsl: v({ env: 'DATABASE_SSL', parser: p.bool, default: 'false', doc: 'Use TLS to PostgreSQL (verifying the server certificate).' }),
  databaseAutoMigrate: v({ env: 'DATABASE_AUTO_MIGRATE', parser: p.bool, default: (env) => (inProduction(env) ? 'false' : 'true'), doc: 'Apply pending migrations at start. Default true outside production; in production run `vigil migrate`.' }),
  allowSqliteInProduction: v({ env: 'ALLOW_SQLITE_IN_PRODUCTION', parser: p.bool, default: 'false', doc: 'Explicit opt-in to run production on SQLite (single instance only).' }),

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

  passwordMinLength: v({ env: 'PASSWORD_MIN_LENGTH', parser: p.int(8, 128), default: '12', doc: 'Minimum password length (maximum is 128).' }),
  passwordMinStrength: v({ env: 'PASSWORD_MIN_STRENGTH', parser: p.int(0, 4), default: '3', doc: 'Minimum zxcvbn score (0–4) a new password must reach; rejects common and context-specific passwords.' }),
  passwordHashMemoryKib: v({ env: 'PASSWORD_HASH_MEMORY_KIB', parser: p.int(1024, 4_194_304), default: '19456', doc: 'argon2id memory cost in KiB (OWASP: 19456).' }),
  passwordHashIterations: v({ env: 'PASSWORD_HASH_ITERATIONS', parser: p.int(1, 100), default: '2', doc: 'argon2id time cost (OWASP: 2).' }),
  passwordHashParallelism: v({ env: 'PASSWORD_HASH_PARALLELISM', parser: p.int(1, 16), default: '1', doc: 'argon2id parallelism (OWASP: 1).' }),

  logLevel: v({ env: 'LOG_LEVEL', parser: p.oneOf(...LOG_LEVELS), default: 'info', doc: 'Lowest level logged: trace, debug, info, warn, error, fatal or silent.' }),
  logLevels: v({ env: 'LOG_LEVELS', parser: p.levelMap(LOG_LEVELS), default: '', doc: 'Per-component levels, e.g. `security=info,db=warn`.' }),
  logPretty: v({ env: 'LOG_PRETTY', parser: p.bool, default: 'false', doc: 'Human-readable log lines (development terminals; needs the dev dependency pino-pretty).' }),
  logPii: v({ env: 'LOG_PII', parser: p.bool, default: 'false', doc: 'Log email addresses unmasked.' }),
  debug: v({ env: 'DEBUG', parser: p.bool, default: 'false', doc: 'Debug mode (verbose logs). Refused in production.' }),
} as const;

export type VarName = keyof typeof VARS;
export type RawValues = { [K in VarName]: (typeof VARS)[K] extends VarSpec<infer T> ? T | undefined : never };
