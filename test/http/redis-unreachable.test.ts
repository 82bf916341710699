import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from '../support/config.js';
import { freePort } from '../support/redis.js';
import { logCapture, makeTestApp, type TestApp } from '../support/services.js';

/** REDIS_URL set but nothing answers there: Vigil starts, serves every request, and says so once. */
describe('Redis unreachable from the start', () => {
  let t: TestApp;
  const logs = logCapture();

  beforeAll(async () => {
    const port = await freePort();
    t = await makeTestApp({ REDIS_URL: `redis://:hunter2secret@127.0.0.1:${port}`, LOG_LEVEL: 'info' }, { logDestination: logs.stream });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('starts degraded and answers register, login, me, logout without a 5xx', async () => {
    expect(t.services.kv.kind).toBe('redis');
    expect(t.services.kv.status()).toBe('degraded');
    const post = (url: string, payload?: object, token?: string) =>
      t.app.inject({ method: 'POST', url, ...(payload ? { payload } : {}), headers: token ? { authorization: `Bearer ${token}` } : {} });
    const creds = { email: 'offline@example.com', password: STRONG_PASSWORD };
    expect((await post('/api/v1/auth/register', creds)).statusCode).toBe(201);
    const login = await post('/api/v1/auth/login', creds);
    expect(login.statusCode).toBe(200);
    const { access_token } = login.json() as { access_token: string };
    const me = () => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${access_token}` } });
    expect((await me()).statusCode).toBe(200);
    expect((await post('/api/v1/auth/logout', undefined, access_token)).statusCode).toBe(204);
    expect((await me()).statusCode).toBe(401);
    expect((await post('/api/v1/auth/login', { ...creds, password: 'wrong-password-123456' })).statusCode).toBe(401);
  });

  it('logs the unreachable Redis once, at warn, without its password', () => {
    const warnings = logs.records().filter((r) => r.level === 'warn' && String(r.msg).includes('Redis unreachable'));
    expect(warnings).toHaveLength(1);
    expect(logs.text()).not.toContain('hunter2secret');
  });
});
