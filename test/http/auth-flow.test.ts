import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../src/shared/clock.js';
import { OTHER_STRONG_PASSWORD, STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

const json = { 'content-type': 'application/json' };

describe('authentication API', () => {
  let t: TestApp;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = manualClock(Date.UTC(2026, 10, 23, 12));
    t = await makeTestApp({}, { clock });
  });
  afterEach(() => t.close());

  const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    payload === undefined
      ? t.app.inject({ method: 'POST', url, headers })
      : t.app.inject({ method: 'POST', url, headers: { ...json, ...headers }, payload: JSON.stringify(payload) });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const me = (token: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) });

  async function registerAndLogin(email = 'ada@example.com', password = STRONG_PASSWORD) {
    const reg = await post('/api/v1/auth/register', { email, password, name: 'Ada' });
    expect(reg.statusCode).toBe(201);
    const login = await post('/api/v1/auth/login', { email, password });
    expect(login.statusCode).toBe(200);
    return { user: reg.json(), tokens: login.json() as { access_token: string; refresh_token: string; expires_in: number; token_type: string } };
  }

  it('knows an access token it has verified until it expires or is revoked, without verifying it again', async () => {
    const { tokens } = await registerAndLogin();
    expect(t.services.tokens.knownAccess(tokens.access_token)).toBeUndefined(); // never verified here
    expect((await me(tokens.access_token)).statusCode).toBe(200);
    const claims = t.services.tokens.knownAccess(tokens.access_token);
    expect(claims?.sub).toBeDefined();
    expect(t.services.tokens.knownAccess(`${tokens.access_token}x`)).toBeUndefined();

    clock.advance(tokens.expires_in * 1000 + 1000);
    expect(t.services.tokens.knownAccess(tokens.access_token)).toBeUndefined();
    expect((await me(tokens.access_token)).statusCode).toBe(401);

    const second = (await post('/api/v1/auth/login', { email: 'ada@example.com', password: STRONG_PASSWORD })).json().access_token as string;
    expect((await me(second)).statusCode).toBe(200);
    expect(t.services.tokens.knownAccess(second)).toBeDefined();
    expect((await post('/api/v1/auth/logout', undefined, bearer(second))).statusCode).toBe(204);
    expect(t.services.tokens.knownAccess(second)).toBeUndefined();
  });

  it('registers, logs in with OAuth-shaped tokens, and reads /me', async () => {
    const { user, tokens } = await registerAndLogin('Ada@Example.com');
    expect(user).toMatchObject({ email: 'ada@example.com', name: 'Ada', role: 'user' });
    expect(user).not.toHaveProperty('password_hash');
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await me(tokens.access_token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: user.id, email: 'ada@example.com' });
    expect(t.events.map((e) => e.type)).toEqual(['REGISTERED', 'LOGIN_SUCCEEDED']);
  });

  it('access tokens carry iss, aud, sub, jti, iat, exp, sid and roles', async () => {
    const { user, tokens } = await registerAndLogin();
    const [header, payload] = tokens.access_token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p!, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(typeof header.kid).toBe('string');
    expect(payload).toMatchObject({ iss: 'vigil', aud: 'vigil-api', sub: user.id, roles: ['user'] });
    expect(payload.exp - payload.iat).toBe(900);
    for (const claim of ['jti', 'sid']) expect(typeof payload[claim]).toBe('string');
  });

  it('login and refresh responses are not cacheable', async () => {
    await registerAndLogin();
    const res = await post('/api/v1/auth/login', { email: 'ada@example.com', password: STRONG_PASSWORD });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses a duplicate email with 409 and a weak password with 400 naming the field', async () => {
    await registerAndLogin();
    const dup = await post('/api/v1/auth/register', { email: 'ADA@example.com', password: OTHER_STRONG_PASSWORD });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('email_taken');
    for (const password of ['short', 'password1234', 'margaret.hamilton@example.com', 'aaaaaaaaaaaaaaaaa']) {
      const weak = await post('/api/v1/auth/register', { email: 'margaret.hamilton@example.com', password });
      expect(weak.statusCode, password).toBe(400);
      expect(weak.headers['content-type']).toContain('application/problem+json');
      expect(weak.json().errors[0].pointer).toBe('/password');
    }
    const tooLong = await post('/api/v1/auth/register', { email: 'new@example.com', password: `${STRONG_PASSWORD}${'x'.repeat(200)}` });
    expect(tooLong.statusCode).toBe(400);
  });

  it('rejects a password built from the name', async () => {
    const res = await post('/api/v1/auth/register', { email: 'grace@example.com', password: 'gracehopper1906', name: 'Grace Hopper' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('weak_password');
  });

  describe('no user enumeration', () => {
    it('unknown email and wrong password give the same status and body', async () => {
      await registerAndLogin();
      const wrong = await post('/api/v1/auth/login', { email: 'ada@example.com', password: OTHER_STRONG_PASSWORD });
      const unknown = await post('/api/v1/auth/login', { email: 'nobody@example.com', password: OTHER_STRONG_PASSWORD });
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      const strip = (b: Record<string, unknown>) => ({ ...b, request_id: undefined });
      expect(strip(wrong.json())).toEqual(strip(unknown.json()));
      expect(t.events.filter((e) => e.type === 'LOGIN_FAILED').map((e) => (e.details as { reason: string }).reason)).toEqual(['wrong_password', 'unknown_email']);
    });

    it('unknown email and wrong password take the same time within noise (dummy hash verify)', async () => {
      await t.close();
      // Production-like hashing cost so the hash dominates, as it does in production.
      t = await makeTestApp({ PASSWORD_HASH_MEMORY_KIB: '19456', PASSWORD_HASH_ITERATIONS: '2' }, { clock });
      await registerAndLogin();
      const time = async (email: string) => {
        const start = process.hrtime.bigint();
        await post('/api/v1/auth/login', { email, password: OTHER_STRONG_PASSWORD });
        return Number(process.hrtime.bigint() - start) / 1e6;
      };
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 7; i++) {
        known.push(await time('ada@example.com'));
        unknown.push(await time(`nobody${i}@example.com`));
      }
      const [k, u] = [median(known), median(unknown)];
      // Without the dummy verify an unknown email answers in well under a millisecond while a
      // real verify takes tens of milliseconds: a ratio near 1 shows the hash ran in both cases.
      expect(u / k).toBeGreaterThan(0.6);
      expect(u / k).toBeLessThan(1.6);
    });
  });

  describe('refresh tokens', () => {
    it('rotate on every use: the new token works, the old one is spent', async () => {
      const { tokens } = await registerAndLogin();
      const first = await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token });
      expect(first.statusCode).toBe(200);
      const next = first.json();
      expect(next.refresh_token).not.toBe(tokens.refresh_token);
      expect((await me(next.access_token)).statusCode).toBe(200);
      const [, a] = tokens.access_token.split('.');
      const [, b] = next.access_token.split('.');
      expect(JSON.parse(Buffer.from(b!, 'base64url').toString()).sid).toBe(JSON.parse(Buffer.from(a!, 'base64url').toString()).sid);
      clock.advance(1000);
      const again = await post('/api/v1/auth/refresh', { refresh_token: next.refresh_token });
      expect(again.statusCode).toBe(200);
    });

    it('reuse of a rotated token after the grace window revokes the whole family and is reported', async () => {
      const { tokens } = await registerAndLogin();
      const rotated = (await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token })).json();
      clock.advance(11_000);
      const reuse = await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token });
      expect(reuse.statusCode).toBe(401);
      expect(reuse.json().code).toBe('invalid_refresh_token');
      // The legitimate holder's newer token is revoked too: the family is gone.
      const legit = await post('/api/v1/auth/refresh', { refresh_token: rotated.refresh_token });
      expect(legit.statusCode).toBe(401);
      // And so are the family's access tokens.
      expect((await me(rotated.access_token)).statusCode).toBe(401);
      expect((await me(tokens.access_token)).statusCode).toBe(401);
      expect(t.events.some((e) => e.type === 'REFRESH_REUSE_DETECTED')).toBe(true);
    });

    it('concurrent use of one token within the grace window: both succeed, nothing is revoked', async () => {
      const { tokens } = await registerAndLogin();
      const [a, b] = await Promise.all([
        post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token }),
        post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token }),
      ]);
      expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
      expect(a.json().refresh_token).not.toBe(b.json().refresh_token);
      clock.advance(5_000);
      const late = await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token });
      expect(late.statusCode).toBe(200);
      for (const r of [a, b, late]) expect((await post('/api/v1/auth/refresh', { refresh_token: r.json().refresh_token })).statusCode).toBe(200);
      expect(t.events.some((e) => e.type === 'REFRESH_REUSE_DETECTED')).toBe(false);
    });

    it('expire after REFRESH_TOKEN_TTL', async () => {
      const { tokens } = await registerAndLogin();
      clock.advance(30 * 24 * 3600 * 1000 + 1);
      const res = await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_refresh_token');
    });

    it('an unknown token is 401 and does not revoke anything', async () => {
      const { tokens } = await registerAndLogin();
      const res = await post('/api/v1/auth/refresh', { refresh_token: 'A'.repeat(43) });
      expect(res.statusCode).toBe(401);
      expect((await me(tokens.access_token)).statusCode).toBe(200);
    });
  });

  describe('revocation', () => {
    it('logout revokes this access token at once and its session; other sessions live on', async () => {
      const { tokens } = await registerAndLogin();
      const other = (await post('/api/v1/auth/login', { email: 'ada@example.com', password: STRONG_PASSWORD })).json();
      const out = await post('/api/v1/auth/logout', undefined, bearer(tokens.access_token));
      expect(out.statusCode).toBe(204);
      expect((await me(tokens.access_token)).statusCode).toBe(401);
      expect((await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token })).statusCode).toBe(401);
      expect((await me(other.access_token)).statusCode).toBe(200);
      expect((await post('/api/v1/auth/refresh', { refresh_token: other.refresh_token })).statusCode).toBe(200);
    });

    it('a revoked token stays revoked after a restart (loaded from the blacklist)', async () => {
      await t.close();
      const url = `sqlite:/tmp/vigil-revocation-${process.pid}-${Date.now()}.db`;
      t = await makeTestApp({ DATABASE_URL: url }, { clock });
      const { tokens } = await registerAndLogin();
      await post('/api/v1/auth/logout', undefined, bearer(tokens.access_token));
      await t.close();
      t = await makeTestApp({ DATABASE_URL: url }, { clock });
      expect((await me(tokens.access_token)).statusCode).toBe(401);
    });

    it('logout-all revokes every session of the user', async () => {
      const { tokens } = await registerAndLogin();
      const other = (await post('/api/v1/auth/login', { email: 'ada@example.com', password: STRONG_PASSWORD })).json();
      const res = await post('/api/v1/auth/logout-all', undefined, bearer(tokens.access_token));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ sessions_revoked: 2 });
      for (const tok of [tokens, other]) {
        expect((await me(tok.access_token)).statusCode).toBe(401);
        expect((await post('/api/v1/auth/refresh', { refresh_token: tok.refresh_token })).statusCode).toBe(401);
      }
    });

    it('a password change revokes the other sessions, keeps this one, and the new password works', async () => {
      const { tokens } = await registerAndLogin();
      const other = (await post('/api/v1/auth/login', { email: 'ada@example.com', password: STRONG_PASSWORD })).json();
      const wrong = await post('/api/v1/auth/password', { current_password: OTHER_STRONG_PASSWORD, new_password: OTHER_STRONG_PASSWORD }, bearer(tokens.access_token));
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json().code).toBe('invalid_current_password');
      const res = await post('/api/v1/auth/password', { current_password: STRONG_PASSWORD, new_password: OTHER_STRONG_PASSWORD }, bearer(tokens.access_token));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ sessions_revoked: 1 });
      expect((await me(tokens.access_token)).statusCode).toBe(200);
      expect((await me(other.access_token)).statusCode).toBe(401);
      expect((await post('/api/v1/auth/login', { email: 'ada@example.com', password: STRONG_PASSWORD })).statusCode).toBe(401);
      expect((await post('/api/v1/auth/login', { email: 'ada@example.com', password: OTHER_STRONG_PASSWORD })).statusCode).toBe(200);
    });
  });

  describe('introspection (RFC 7662)', () => {
    const ADMIN_KEY = 'admin-api-key-for-tests-0123456789abcdef';
    const PUBLIC_KEY = 'public-api-key-for-tests-0123456789abcdef';

    beforeEach(async () => {
      await t.close();
      t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY, PUBLIC_API_KEY: PUBLIC_KEY }, { clock });
    });

    it('describes active access and refresh tokens, form-encoded or JSON, with an API key', async () => {
      const { user, tokens } = await registerAndLogin();
      const form = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/introspect',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': PUBLIC_KEY },
        payload: `token=${encodeURIComponent(tokens.access_token)}`,
      });
      expect(form.statusCode).toBe(200);
      expect(form.json()).toMatchObject({ active: true, token_type: 'access_token', sub: user.id, roles: ['user'], aud: 'vigil-api', iss: 'vigil' });
      const refresh = await post('/api/v1/auth/introspect', { token: tokens.refresh_token, token_type_hint: 'refresh_token' }, { 'x-api-key': PUBLIC_KEY });
      expect(refresh.json()).toMatchObject({ active: true, token_type: 'refresh_token', sub: user.id });
    });

    it('answers {active:false} for junk, revoked and expired tokens', async () => {
      const { tokens } = await registerAndLogin();
      const ask = async (token: string) => (await post('/api/v1/auth/introspect', { token }, { 'x-api-key': ADMIN_KEY })).json();
      expect(await ask('not-a-token')).toEqual({ active: false });
      await post('/api/v1/auth/logout', undefined, bearer(tokens.access_token));
      expect(await ask(tokens.access_token)).toEqual({ active: false });
      expect(await ask(tokens.refresh_token)).toEqual({ active: false });
      const fresh = (await post('/api/v1/auth/login', { email: 'ada@example.com', password: STRONG_PASSWORD })).json();
      clock.advance(16 * 60 * 1000);
      expect(await ask(fresh.access_token)).toEqual({ active: false });
    });

    it('requires an API key or an admin: anonymous 401, user 403, wrong key 401', async () => {
      const { tokens } = await registerAndLogin();
      expect((await post('/api/v1/auth/introspect', { token: 'x' })).statusCode).toBe(401);
      expect((await post('/api/v1/auth/introspect', { token: 'x' }, bearer(tokens.access_token))).statusCode).toBe(403);
      expect((await post('/api/v1/auth/introspect', { token: 'x' }, { 'x-api-key': 'wrong-key' })).statusCode).toBe(401);
    });
  });

  it('security-info publishes the password and token policy', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/security-info' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      password_policy: { min_length: 12, max_length: 128 },
      tokens: { access_token_ttl_seconds: 900, refresh_token_ttl_seconds: 30 * 24 * 3600, refresh_rotation: true, algorithm: 'EdDSA' },
    });
  });
});
