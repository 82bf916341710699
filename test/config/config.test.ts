import { describe, expect, it } from 'vitest';
import { ConfigError, failures, loadConfig, productionReadiness, redactConfig, redactUrl } from '../../src/config/index.js';
import { VARS } from '../../src/config/schema.js';
import { makeTestApp } from '../support/services.js';
import { STRONG_PASSWORD } from '../support/config.js';

const STRONG = 'f3a9c1e07b5d4e2a8c6b0d9e1f2a3b4c5d6e7f80';

describe('configuration', () => {
  it('has the documented defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.environment).toBe('development');
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 8000, trustProxy: false, maxRequestSize: 10 * 1024 * 1024, requestTimeoutMs: 30_000 });
    expect(c.database).toMatchObject({ kind: 'sqlite', path: './data/vigil.db', autoMigrate: true });
    expect(c.jwt).toMatchObject({ algorithm: 'EdDSA', accessTtlMs: 15 * 60_000, refreshTtlMs: 30 * 86_400_000, refreshReuseGraceMs: 10_000, issuer: 'vigil', audience: 'vigil-api' });
    expect(c.passwords).toMatchObject({ minLength: 12, maxLength: 128, argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 } });
    expect(c.createDefaultUsers).toBe(false);
  });

  it('is frozen all the way down', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.jwt)).toBe(true);
    expect(() => {
      (c.http as { port: number }).port = 1;
    }).toThrow();
  });

  it('parses the accepted forms', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://vigil:pw@db:5432/vigil', JWT_ACCESS_TTL: '90s', REFRESH_TOKEN_TTL: '7d', MAX_REQUEST_SIZE: '512kb',
      TRUST_PROXY: 'loopback,10.0.0.0/8', API_PORT: '9000', DEBUG: 'yes', REFRESH_REUSE_GRACE: '0', ENVIRONMENT: 'staging',
    });
    expect(c.database.kind).toBe('postgres');
    expect(c.jwt.accessTtlMs).toBe(90_000);
    expect(c.jwt.refreshTtlMs).toBe(7 * 86_400_000);
    expect(c.jwt.refreshReuseGraceMs).toBe(0);
    expect(c.http.maxRequestSize).toBe(512 * 1024);
    expect(c.http.port).toBe(9000);
    expect(c.debug).toBe(true);
    expect(c.log.level).toBe('debug');
  });

  it('lists every bad variable at once, with what is expected, secrets masked', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ API_PORT: '70000', ENVIRONMENT: 'prod', JWT_ACCESS_TTL: 'soon', DATABASE_URL: 'mysql://root:hunter2@db/x', SIGNING_KEY_ENCRYPTION_KEY: 'short-secret', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.issues.map((i) => i.env).sort()).toEqual(['API_PORT', 'DATABASE_URL', 'ENVIRONMENT', 'JWT_ACCESS_TTL', 'LOG_LEVEL', 'SIGNING_KEY_ENCRYPTION_KEY']);
    expect(error!.message).toContain('API_PORT="70000"');
    expect(error!.message).toMatch(/ENVIRONMENT="prod": expected .*development/);
    expect(error!.message).not.toContain('hunter2');
    expect(error!.message).not.toContain('short-secret');
    expect(error!.message).toContain('****** (12 characters)');
  });

  it('HS256 needs JWT_SECRET', () => {
    expect(() => loadConfig({ JWT_ALGORITHM: 'HS256' })).toThrow(/JWT_SECRET/);
    expect(loadConfig({ JWT_ALGORITHM: 'HS256', JWT_SECRET: STRONG }).jwt.algorithm).toBe('HS256');
  });

  it('every variable of the schema has documentation', () => {
    for (const spec of Object.values(VARS)) expect(spec.doc.length, spec.env).toBeGreaterThan(10);
  });
});

describe('production checks', () => {
  const prod = {
    ENVIRONMENT: 'production', DATABASE_URL: 'postgres://vigil:pw@db/vigil', DATABASE_SSL: 'true', SIGNING_KEY_ENCRYPTION_KEY: STRONG, DATABASE_AUTO_MIGRATE: 'false',
    METRICS_TOKEN: STRONG,
  };
  const failed = (env: Record<string, string>) => failures(productionReadiness(loadConfig({ ...prod, ...env }))).map((i) => i.id);

  it('a sound production config has no failures and no warnings', () => {
    const items = productionReadiness(loadConfig(prod));
    expect(items.filter((i) => i.status !== 'pass')).toEqual([]);
  });

  it('fails on short or default secrets, default users, debug and SQLite without opt-in', () => {
    expect(failed({ JWT_ALGORITHM: 'HS256', JWT_SECRET: 'short' })).toEqual(['jwt_secret']);
    expect(failed({ JWT_ALGORITHM: 'HS256', JWT_SECRET: 'your-strong-random-secret-here' })).toEqual(['jwt_secret']);
    expect(failed({ ADMIN_API_KEY: 'admin-api-key' })).toEqual(['admin_api_key']);
    expect(failed({ PUBLIC_API_KEY: 'x'.repeat(40) })).toEqual(['public_api_key']);
    expect(failed({ ADMIN_API_KEY: 'a'.repeat(30) + 'b' })).toEqual(['admin_api_key']);
    expect(failed({ CREATE_DEFAULT_USERS: 'true' })).toEqual(['default_users']);
    expect(failed({ DEBUG: 'true' })).toEqual(['debug']);
    expect(failed({ DATABASE_URL: 'sqlite:./data/vigil.db' })).toEqual(['database']);
    expect(failed({ DATABASE_URL: 'sqlite:./data/vigil.db', ALLOW_SQLITE_IN_PRODUCTION: 'true' })).toEqual([]);
    expect(failed({ METRICS_TOKEN: 'metrics-token-too-short' })).toEqual(['metrics']);
  });

  it('warns with a fix on the rest', () => {
    const items = productionReadiness(loadConfig({ ...prod, DATABASE_SSL: 'false', TRUST_PROXY: 'true', LOG_PII: 'true', SIGNING_KEY_ENCRYPTION_KEY: '', DATABASE_AUTO_MIGRATE: 'true' }));
    const warns = items.filter((i) => i.status === 'warn');
    expect(warns.map((i) => i.id).sort()).toEqual(['auto_migrate', 'database_ssl', 'log_pii', 'signing_key_encryption', 'trust_proxy']);
    for (const w of warns) expect(w.fix).toBeTruthy();
  });

  it('/metrics on the API port needs METRICS_TOKEN; its own port or metrics off need none', () => {
    const metrics = (env: Record<string, string>) => productionReadiness(loadConfig({ ...prod, METRICS_TOKEN: '', ...env })).find((i) => i.id === 'metrics')!;
    expect(metrics({})).toMatchObject({ status: 'warn', fix: expect.stringContaining('METRICS_TOKEN') });
    expect(metrics({ METRICS_PORT: '9100' }).status).toBe('pass');
    expect(metrics({ PROMETHEUS_METRICS: 'false' }).status).toBe('pass');
    expect(metrics({ METRICS_TOKEN: STRONG }).status).toBe('pass');
  });
});

describe('redaction', () => {
  it('removes passwords from database URLs, parseable or not', () => {
    expect(redactUrl('postgres://vigil:hunter2@db:5432/vigil')).toBe('postgres://vigil:******@db:5432/vigil');
    expect(redactUrl('postgres://vigil:hun ter2@db:5432/vigil')).not.toContain('hun ter2');
    expect(redactUrl('sqlite:./data/vigil.db')).toBe('sqlite:./data/vigil.db');
  });

  it('GET /api/v1/admin/config shows the effective config with every secret redacted, to admins only', async () => {
    const secrets = { JWT_SECRET: 'jwt-secret-value-0123456789abcdef-xyz', ADMIN_API_KEY: 'admin-key-value-0123456789abcdef-xyz', PUBLIC_API_KEY: 'public-key-value-0123456789abcdef-xyz' };
    const t = await makeTestApp({ ...secrets, JWT_ALGORITHM: 'HS256' });
    try {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: { 'x-api-key': secrets.ADMIN_API_KEY } });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.jwt).toMatchObject({ algorithm: 'HS256', secret: '[REDACTED]', keyEncryptionKey: '[REDACTED]' });
      expect(body.apiKeys).toEqual({ public: '[REDACTED]', admin: '[REDACTED]' });
      for (const v of [...Object.values(secrets), 'test-key-encryption-key-0123456789abcdef']) expect(res.body).not.toContain(v);
      expect(JSON.stringify(redactConfig(loadConfig({ DATABASE_URL: 'postgres://u:topsecret@h/db' })))).not.toContain('topsecret');

      expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/config' })).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: { 'x-api-key': secrets.PUBLIC_API_KEY } })).statusCode).toBe(403);
      await t.services.auth.createUser({ email: 'joe@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
      const login = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'joe@example.com', password: STRONG_PASSWORD } })).json();
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: { authorization: `Bearer ${login.access_token}` } })).statusCode).toBe(403);
    } finally {
      await t.close();
    }
  });
});
