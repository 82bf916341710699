import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/shared/clock.js';
import { STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const kidOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid as string;

async function login(app: TestApp, email = 'kim@example.com') {
  await app.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: STRONG_PASSWORD } });
  return (await app.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: STRONG_PASSWORD } })).json().access_token as string;
}

describe('API keys', () => {
  it('are shown once, stored as hashes, scoped, expire and can be revoked', async () => {
    const clock = manualClock();
    t = await makeTestApp({}, { clock });
    const admin = await t.services.apiKeys.create({ name: 'ops', scope: 'admin', expiresInMs: 60_000 }, {});
    const pub = await t.services.apiKeys.create({ name: 'resource-server', scope: 'public' }, {});
    expect(admin.key).toMatch(/^vgl_[A-Za-z0-9_-]{43}$/);
    const stored = await t.services.database.db.selectFrom('api_keys').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(admin.key);
    expect(JSON.stringify(stored)).not.toContain(pub.key);

    const config = (key: string) => t!.app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: { 'x-api-key': key } });
    expect((await config(admin.key)).statusCode).toBe(200);
    expect((await config(pub.key)).statusCode).toBe(403);
    const introspect = await t.app.inject({ method: 'POST', url: '/api/v1/auth/introspect', headers: { 'x-api-key': pub.key }, payload: { token: 'x' } });
    expect(introspect.json()).toEqual({ active: false });

    clock.advance(61_000);
    const expired = await config(admin.key);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe('invalid_api_key');

    expect((await t.services.apiKeys.revoke(pub.record.prefix, {}))?.id).toBe(pub.record.id);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/introspect', headers: { 'x-api-key': pub.key }, payload: { token: 'x' } })).statusCode).toBe(401);
    const rejected = t.events.filter((e) => e.type === 'API_KEY_REJECTED').map((e) => (e.details as { reason: string }).reason);
    expect(rejected).toEqual(['expired', 'revoked']);
    expect(t.events.filter((e) => e.type === 'API_KEY_CREATED')).toHaveLength(2);
  });

  it('static PUBLIC_API_KEY and ADMIN_API_KEY from the environment work with their scopes', async () => {
    const env = { PUBLIC_API_KEY: 'static-public-0123456789abcdef0123456789', ADMIN_API_KEY: 'static-admin-0123456789abcdef01234567890' };
    t = await makeTestApp(env);
    const get = (key: string) => t!.app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: { 'x-api-key': key } });
    expect((await get(env.ADMIN_API_KEY)).statusCode).toBe(200);
    expect((await get(env.PUBLIC_API_KEY)).statusCode).toBe(403);
    expect((await get(env.ADMIN_API_KEY.slice(0, -1))).statusCode).toBe(401);
    expect((await get(`${env.ADMIN_API_KEY}x`)).statusCode).toBe(401);
  });
});

describe('signing keys and JWKS', () => {
  it('publishes the signing key; rotation signs with a new key and keeps the old public key until its tokens expire', async () => {
    const clock = manualClock();
    t = await makeTestApp({}, { clock });
    const jwks = async () => (await t!.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as { kid: string; kty: string; alg: string; d?: string }[];
    const before = await jwks();
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ kty: 'OKP', alg: 'EdDSA', crv: 'Ed25519', use: 'sig' });
    expect(before[0]).not.toHaveProperty('d');

    const oldToken = await login(t);
    expect(kidOf(oldToken)).toBe(before[0]!.kid);
    const rotated = await t.services.tokens.rotateKeys();
    const after = await jwks();
    expect(after.map((k) => k.kid).sort()).toEqual([before[0]!.kid, rotated.kid].sort());
    const newToken = await login(t, 'lee@example.com');
    expect(kidOf(newToken)).toBe(rotated.kid);
    for (const token of [oldToken, newToken]) {
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    }
    // After the longest access-token lifetime the retired key leaves the JWKS.
    clock.advance(15 * 60_000 + 61_000);
    expect((await jwks()).map((k) => k.kid)).toEqual([rotated.kid]);
  });

  it('ES256 works end to end', async () => {
    t = await makeTestApp({ JWT_ALGORITHM: 'ES256' });
    const token = await login(t);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg).toBe('ES256');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });

  it('keeps the private key encrypted in the database, and the key file and database file at mode 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-files-'));
    t = await makeTestApp({ DATABASE_URL: `sqlite:${dir}/data/vigil.db`, SIGNING_KEY_ENCRYPTION_KEY: '', SIGNING_KEY_FILE: `${dir}/data/vigil.key` });
    expect(statSync(`${dir}/data/vigil.db`).mode & 0o777).toBe(0o600);
    expect(statSync(`${dir}/data/vigil.key`).mode & 0o777).toBe(0o600);
    expect(statSync(`${dir}/data`).mode & 0o777).toBe(0o700);
    const [row] = await t.services.database.db.selectFrom('signing_keys').selectAll().execute();
    expect(row!.private_key).not.toContain('PRIVATE KEY');
    // Restarting with the same key file reads the same signing key.
    const token = await login(t);
    await t.close();
    t = await makeTestApp({ DATABASE_URL: `sqlite:${dir}/data/vigil.db`, SIGNING_KEY_ENCRYPTION_KEY: '', SIGNING_KEY_FILE: `${dir}/data/vigil.key` });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
  });

  it('refuses to start with the wrong key-encryption key rather than sign with a new key silently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-kek-'));
    t = await makeTestApp({ DATABASE_URL: `sqlite:${dir}/vigil.db` });
    await t.close();
    t = undefined;
    await expect(makeTestApp({ DATABASE_URL: `sqlite:${dir}/vigil.db`, SIGNING_KEY_ENCRYPTION_KEY: 'another-key-encryption-key-0123456789abcdef' })).rejects.toThrow();
  });
});

describe('GET /health', () => {
  it('answers the cheap liveness shape', async () => {
    t = await makeTestApp();
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'healthy', version: expect.any(String), environment: 'development', uptime: expect.any(Number), services: { database: { status: 'connected' }, redis: { status: 'not_configured' } },
      features: { rate_limiting: false, security_headers: true, request_id_tracking: true, emergency_mode: false, metrics: true, error_tracking: false },
    });
  });

  it('the database probe reports a database that went away', async () => {
    t = await makeTestApp();
    await t.services.database.close();
    const probe = await t.services.health.probeDatabase(1000);
    expect(probe.ok).toBe(false);
  });
});
