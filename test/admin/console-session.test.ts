import Fastify, { type LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_COOKIE, consoleSessionRoutes } from '../../src/admin/console/index.js';
import { registerErrorHandling } from '../../src/http/error-handler.js';
import { ProblemSchema } from '../../src/http/problem.js';
import { OTHER_STRONG_PASSWORD, STRONG_PASSWORD } from '../support/config.js';
import { logCapture, makeTestApp, type TestApp } from '../support/services.js';

/** The console's cookie session over app.inject: cookie attributes, rotation, logout, admins only, CSRF. */

const CONSOLE = { 'x-vigil-console': '1' };
const ADMIN = { email: 'root@example.com', password: STRONG_PASSWORD };
const USER = { email: 'user@example.com', password: OTHER_STRONG_PASSWORD };

/** The Set-Cookie header of the console cookie, parsed: value and attributes (lower-cased names). */
function consoleCookie(res: LightMyRequestResponse): { value: string; attrs: Record<string, string | true> } | undefined {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const line = list.find((c) => c.startsWith(`${CONSOLE_COOKIE}=`));
  if (!line) return undefined;
  const [pair, ...rest] = line.split(';').map((p) => p.trim());
  const attrs: Record<string, string | true> = {};
  for (const a of rest) {
    const i = a.indexOf('=');
    if (i === -1) attrs[a.toLowerCase()] = true;
    else attrs[a.slice(0, i).toLowerCase()] = a.slice(i + 1);
  }
  return { value: decodeURIComponent(pair!.slice(CONSOLE_COOKIE.length + 1)), attrs };
}

describe('console session (/api/v1/console)', () => {
  let t: TestApp;
  const logs = logCapture();
  /** Every refresh token the server handed out, to search bodies and logs for. */
  const issued: string[] = [];
  const bodies: string[] = [];

  const post = async (url: string, opts: { payload?: object; headers?: Record<string, string>; cookie?: string } = {}) => {
    const res = await t.app.inject({
      method: 'POST', url, payload: opts.payload,
      headers: { ...CONSOLE, ...(opts.cookie ? { cookie: `${CONSOLE_COOKIE}=${encodeURIComponent(opts.cookie)}` } : {}), ...opts.headers },
    });
    bodies.push(res.body);
    const c = consoleCookie(res);
    if (c?.value) issued.push(c.value);
    return res;
  };
  const signIn = (creds = ADMIN, headers: Record<string, string> = {}) => post('/api/v1/console/session', { payload: creds, headers });
  const adminConfig = (token: string) => t.app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    t = await makeTestApp({ LOG_LEVEL: 'debug', REFRESH_REUSE_GRACE: '0', REFRESH_TOKEN_TTL: '7d', ACCOUNT_LOCKOUT_THRESHOLD: '3' }, { logDestination: logs.stream });
    await t.services.auth.createUser({ ...ADMIN, role: 'admin' }, {});
    await t.services.auth.createUser({ ...USER, role: 'user' }, {});
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sign-in answers the access token and the user, and sets the refresh token only as an httpOnly, SameSite=Strict cookie on the console path', async () => {
    const res = await signIn();
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: expect.any(Number), user: { id: expect.any(String), email: ADMIN.email, name: null, role: 'admin' } });
    expect(body).not.toHaveProperty('refresh_token');
    expect(res.headers['cache-control']).toBe('no-store');
    const cookie = consoleCookie(res)!;
    expect(cookie.value).toMatch(/^\S{20,}$/);
    expect(cookie.attrs).toMatchObject({ httponly: true, samesite: 'Strict', path: '/api/v1/console', 'max-age': String(7 * 86_400) });
    // ENVIRONMENT=development: no Secure, so the console works on http://localhost.
    expect(cookie.attrs).not.toHaveProperty('secure');
    // The cookie is a real session: the refresh token it holds is the live one of this user.
    const record = await t.services.tokens.refresh.find(cookie.value);
    expect(record).toMatchObject({ user_id: body.user.id, revoked_at: null });
    expect((await adminConfig(body.access_token)).statusCode).toBe(200);
  });

  it('refresh rotates the cookie and answers a new access token; the spent cookie is refused (and the browser told to drop it)', async () => {
    const first = consoleCookie(await signIn())!.value;
    const res = await post('/api/v1/console/refresh', { cookie: first });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ token_type: 'Bearer', user: { email: ADMIN.email, role: 'admin' } });
    expect(res.json()).not.toHaveProperty('refresh_token');
    const second = consoleCookie(res)!;
    expect(second.value).not.toBe(first);
    expect(second.attrs).toMatchObject({ httponly: true, samesite: 'Strict', path: '/api/v1/console' });
    expect((await adminConfig(res.json().access_token)).statusCode).toBe(200);

    const replay = await post('/api/v1/console/refresh', { cookie: first });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('invalid_refresh_token');
    const cleared = consoleCookie(replay)!;
    expect(cleared.value).toBe('');
    expect(cleared.attrs.path).toBe('/api/v1/console');
    // Reuse of a spent token revokes the whole session: the rotated cookie dies with it.
    expect((await post('/api/v1/console/refresh', { cookie: second.value })).statusCode).toBe(401);
    expect(t.events.some((e) => e.type === 'REFRESH_REUSE_DETECTED')).toBe(true);
  });

  it('refresh without a cookie is a 401', async () => {
    const res = await post('/api/v1/console/refresh');
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_refresh_token');
  });

  it('logout revokes the session and the access token, and clears the cookie', async () => {
    const login = await signIn();
    const cookie = consoleCookie(login)!.value;
    const access = login.json().access_token as string;
    const before = t.events.length;
    const res = await post('/api/v1/console/logout', { cookie, headers: { authorization: `Bearer ${access}` } });
    expect(res.statusCode).toBe(204);
    const cleared = consoleCookie(res)!;
    expect(cleared.value).toBe('');
    expect(cleared.attrs).toMatchObject({ path: '/api/v1/console', httponly: true, samesite: 'Strict' });
    expect(cleared.attrs.expires ?? cleared.attrs['max-age']).toBeDefined();
    expect(new Date(String(cleared.attrs.expires)).getTime()).toBeLessThan(Date.now());
    expect((await adminConfig(access)).statusCode).toBe(401);
    expect((await post('/api/v1/console/refresh', { cookie })).statusCode).toBe(401);
    expect(t.events.slice(before).filter((e) => e.type === 'LOGOUT')).toHaveLength(1);
  });

  it('logout with only the cookie (the access token was lost with the page) still revokes the session', async () => {
    const cookie = consoleCookie(await signIn())!.value;
    const before = t.events.length;
    expect((await post('/api/v1/console/logout', { cookie })).statusCode).toBe(204);
    expect((await t.services.tokens.refresh.find(cookie))?.revoked_at).not.toBeNull();
    expect((await post('/api/v1/console/refresh', { cookie })).statusCode).toBe(401);
    expect(t.events.slice(before).filter((e) => e.type === 'LOGOUT')).toHaveLength(1);
  });

  it('a non-admin is refused with 403, gets no cookie, and the session its login opened is revoked', async () => {
    const user = await t.services.users.findByEmail(USER.email);
    const res = await signIn(USER);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
    expect(consoleCookie(res)?.value ?? '').toBe('');
    const sessions = await t.services.database.db.selectFrom('refresh_tokens').select(['revoked_at', 'revoke_reason']).where('user_id', '=', user!.id).execute();
    expect(sessions.length).toBe(1);
    expect(sessions[0]).toMatchObject({ revoked_at: expect.any(Number), revoke_reason: 'console_not_admin' });
    // The same account still signs in to the API itself: only the console is for admins.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: USER })).statusCode).toBe(200);
  });

  it('an admin demoted since sign-in is refused at refresh (403), and the session is revoked', async () => {
    await t.services.auth.createUser({ email: 'demoted@example.com', password: STRONG_PASSWORD, role: 'admin' }, {});
    const cookie = consoleCookie(await signIn({ email: 'demoted@example.com', password: STRONG_PASSWORD }))!.value;
    await t.services.database.db.updateTable('users').set({ role: 'user' }).where('email', '=', 'demoted@example.com').execute();
    const res = await post('/api/v1/console/refresh', { cookie });
    expect(res.statusCode).toBe(403);
    expect(consoleCookie(res)!.value).toBe('');
    const record = await t.services.tokens.refresh.find(cookie);
    const live = await t.services.database.db.selectFrom('refresh_tokens').select('id').where('family_id', '=', record!.family_id).where('revoked_at', 'is', null).execute();
    expect(live).toEqual([]);
  });

  it('failed console sign-ins count like API ones: LOGIN_FAILED events and the account lockout', async () => {
    await t.services.auth.createUser({ email: 'target@example.com', password: STRONG_PASSWORD, role: 'admin' }, {});
    const before = t.events.length;
    for (let i = 0; i < 3; i++) expect((await signIn({ email: 'target@example.com', password: 'wrong-password-here' })).statusCode).toBe(401);
    expect(t.events.slice(before).filter((e) => e.type === 'LOGIN_FAILED')).toHaveLength(3);
    expect(t.events.slice(before).some((e) => e.type === 'ACCOUNT_LOCKED')).toBe(true);
    // Locked: the right password is refused too.
    expect((await signIn({ email: 'target@example.com', password: STRONG_PASSWORD })).statusCode).toBe(401);
  });

  describe('CSRF', () => {
    const forged: [string, Record<string, string>][] = [
      ['no X-Vigil-Console header', { 'x-vigil-console': '' }],
      ['X-Vigil-Console other than 1', { 'x-vigil-console': 'true' }],
      ['an Origin of another site', { origin: 'https://evil.example' }],
      ['an Origin of another port', { origin: 'http://localhost:8080' }],
      ['Origin: null (sandboxed frame, data: URL)', { origin: 'null' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
    ];
    for (const [what, headers] of forged) {
      it(`${what}: every console call is refused with 403 csrf_rejected, before any login is tried`, async () => {
        const cookie = consoleCookie(await signIn())!.value;
        const before = t.events.length;
        const strip = (h: Record<string, string>) => Object.fromEntries(Object.entries({ ...CONSOLE, ...h }).filter(([, v]) => v !== ''));
        for (const url of ['/api/v1/console/session', '/api/v1/console/refresh', '/api/v1/console/logout']) {
          const res = await t.app.inject({ method: 'POST', url, payload: ADMIN, headers: { ...strip(headers), cookie: `${CONSOLE_COOKIE}=${encodeURIComponent(cookie)}` } });
          expect(res.statusCode, `${url}: ${res.body}`).toBe(403);
          expect(res.headers['content-type']).toContain('application/problem+json');
          expect(res.json().code).toBe('csrf_rejected');
          expect(consoleCookie(res)).toBeUndefined();
        }
        expect(t.events.slice(before).filter((e) => e.type.startsWith('LOGIN') || e.type === 'LOGOUT' || e.type === 'TOKEN_REFRESHED')).toEqual([]);
        // The session is untouched by the refused logout.
        expect((await t.services.tokens.refresh.find(cookie))?.revoked_at).toBeNull();
      });
    }

    it('the console itself passes: its own Origin and Sec-Fetch-Site: same-origin', async () => {
      const res = await signIn(ADMIN, { origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin', host: 'localhost:80' });
      expect(res.statusCode, res.body).toBe(200);
      const behindProxy = await t.app.inject({ method: 'POST', url: '/api/v1/console/refresh', headers: { ...CONSOLE, origin: 'http://vigil.test:8000', host: 'vigil.test:8000', cookie: `${CONSOLE_COOKIE}=${encodeURIComponent(consoleCookie(res)!.value)}` } });
      expect(behindProxy.statusCode, behindProxy.body).toBe(200);
      issued.push(consoleCookie(behindProxy)!.value);
    });
  });

  it('no refresh token the console was given ever appears in a response body or a log line', () => {
    expect(issued.length).toBeGreaterThan(10);
    const logText = logs.text();
    expect(logText).toContain('/api/v1/console/session');
    for (const token of issued) {
      for (const body of bodies) expect(body.includes(token)).toBe(false);
      expect(logText.includes(token)).toBe(false);
    }
  });
});

describe('console session in production', () => {
  it('the cookie is Secure', async () => {
    const t = await makeTestApp();
    try {
      await t.services.auth.createUser({ ...ADMIN, role: 'admin' }, {});
      const app = Fastify();
      app.addSchema(ProblemSchema);
      registerErrorHandling(app);
      await app.register(consoleSessionRoutes, {
        prefix: '/api/v1/console', auth: t.services.auth, tokens: t.services.tokens, users: t.services.users, events: t.services.events,
        config: { environment: 'production', jwt: { refreshTtlMs: 3_600_000 } },
      });
      const res = await app.inject({ method: 'POST', url: '/api/v1/console/session', payload: ADMIN, headers: CONSOLE });
      expect(res.statusCode, res.body).toBe(200);
      expect(consoleCookie(res)!.attrs).toMatchObject({ secure: true, httponly: true, samesite: 'Strict', path: '/api/v1/console', 'max-age': '3600' });
      await app.close();
    } finally {
      await t.close();
    }
  });
});
