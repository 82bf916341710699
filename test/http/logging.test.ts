import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { OTHER_STRONG_PASSWORD, STRONG_PASSWORD, testConfig } from '../support/config.js';
import { logCapture, makeTestApp, type TestApp } from '../support/services.js';

const ADMIN_KEY = 'admin-key-that-must-never-be-logged-0123456789';
const PUBLIC_KEY = 'public-key-that-must-never-be-logged-0123456789';

describe('logs', () => {
  let t: TestApp | undefined;
  afterEach(() => t?.close());

  async function loggedApp(env: Record<string, string> = {}) {
    const capture = logCapture();
    const config = testConfig({ LOG_LEVEL: 'debug', ADMIN_API_KEY: ADMIN_KEY, PUBLIC_API_KEY: PUBLIC_KEY, ...env });
    t = await makeTestApp({ LOG_LEVEL: 'debug', ADMIN_API_KEY: ADMIN_KEY, PUBLIC_API_KEY: PUBLIC_KEY, ...env }, { logger: createLogger(config, capture.stream) });
    return capture;
  }

  it('the whole auth flow leaves none of its secrets in the logs', async () => {
    const capture = await loggedApp();
    const app = t!.app;
    const secrets: string[] = [STRONG_PASSWORD, OTHER_STRONG_PASSWORD, ADMIN_KEY, PUBLIC_KEY];
    const email = 'secret.keeper@example.com';
    await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: STRONG_PASSWORD } });
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: OTHER_STRONG_PASSWORD } });
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ghost@example.com', password: OTHER_STRONG_PASSWORD } });
    const login = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: STRONG_PASSWORD } })).json();
    secrets.push(login.access_token, login.refresh_token);
    const auth = { authorization: `Bearer ${login.access_token}` };
    await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { ...auth, cookie: 'session=cookie-secret-value-123' } });
    secrets.push('cookie-secret-value-123');
    const refreshed = (await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: login.refresh_token } })).json();
    secrets.push(refreshed.access_token, refreshed.refresh_token);
    // Reuse after the grace window would need a clock; a reuse inside it is graced. Either way the token must not be logged.
    await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: login.refresh_token } });
    await app.inject({ method: 'POST', url: '/api/v1/auth/introspect', headers: { 'x-api-key': PUBLIC_KEY }, payload: { token: refreshed.access_token } });
    await app.inject({ method: 'POST', url: '/api/v1/auth/introspect', headers: { 'x-api-key': `${PUBLIC_KEY}-wrong` }, payload: { token: refreshed.access_token } });
    await app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: { 'x-api-key': ADMIN_KEY } });
    await app.inject({
      method: 'POST', url: '/api/v1/auth/password', headers: { authorization: `Bearer ${refreshed.access_token}` },
      payload: { current_password: STRONG_PASSWORD, new_password: OTHER_STRONG_PASSWORD },
    });
    await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${refreshed.access_token}` } });
    // A request whose body fails to parse must not echo it.
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: `{"password":"${STRONG_PASSWORD}",` });
    // Tokens in a query string are not logged either (the access line has the route template, not the URL).
    await app.inject({ method: 'GET', url: `/api/v1/auth/me?access_token=${login.access_token}` });

    const text = capture.text();
    expect(capture.lines.length).toBeGreaterThan(15);
    for (const secret of secrets) expect(text, `leaked ${secret.slice(0, 12)}…`).not.toContain(secret);
    // Emails are masked unless LOG_PII is on.
    expect(text).not.toContain(email);
    expect(text).toContain('s***@example.com');
  });

  it('one access line per request with method, route template, status, duration, ip, user id and request id', async () => {
    const capture = await loggedApp();
    await t!.services.auth.createUser({ email: 'ann@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
    const login = (await t!.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ann@example.com', password: STRONG_PASSWORD } })).json();
    const before = capture.lines.length;
    const res = await t!.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${login.access_token}`, 'x-request-id': 'trace-abc.123' } });
    const lines = capture.records().slice(before).filter((r) => r.msg === 'request completed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      logger: 'http', level: 'info', method: 'GET', route: '/api/v1/auth/me', status: 200, ip: '127.0.0.1', user_id: res.json().id, request_id: 'trace-abc.123',
    });
    expect(typeof lines[0]!.duration_ms).toBe('number');
  });

  it('every line of a request carries its request id, security events included', async () => {
    const capture = await loggedApp();
    await t!.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-request-id': 'req-login-1' }, payload: { email: 'nobody@example.com', password: STRONG_PASSWORD } });
    const related = capture.records().filter((r) => r.request_id === 'req-login-1');
    expect(related.map((r) => r.logger).sort()).toEqual(['http', 'security']);
    expect(capture.text()).toContain('FAILED_LOGIN');
  });

  it('a 500 logs the error with an error id and answers a generic problem', async () => {
    const capture = await loggedApp();
    await t!.services.auth.createUser({ email: 'ann@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
    const login = (await t!.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ann@example.com', password: STRONG_PASSWORD } })).json();
    vi.spyOn(t!.services.auth, 'me').mockRejectedValue(new Error('database password is hunter2'));
    const res = await t!.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${login.access_token}` } });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body.code).toBe('internal_error');
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('.ts:');
    const logged = capture.records().find((r) => r.error_id === body.error_id);
    expect(logged).toBeDefined();
  });
});

describe('request ids', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('echo a well-formed X-Request-ID and replace a malformed one', async () => {
    t = await makeTestApp();
    const kept = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123_XYZ.9:1' } });
    expect(kept.headers['x-request-id']).toBe('abc-123_XYZ.9:1');
    for (const bad of ['has space', 'x'.repeat(200), 'semi;colon', '<script>']) {
      const res = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': bad } });
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    const generated = await t.app.inject({ method: 'GET', url: '/nope' });
    expect(generated.headers['x-request-id']).toBe(generated.json().request_id);
  });
});
