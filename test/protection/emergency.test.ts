import { afterEach, describe, expect, it } from 'vitest';
import { PROTECTED_ENV, STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const ENV = { ...PROTECTED_ENV, RATE_LIMIT_ROUTES: 'login=1000/1m,register=1000/1h,refresh=1000/1m' };
const post = (url: string, payload?: object, headers: Record<string, string> = {}) => t!.app.inject({ method: payload ? 'POST' : 'POST', url, payload, headers });

async function people() {
  await t!.services.auth.createUser({ email: 'boss@example.com', password: STRONG_PASSWORD, role: 'admin' }, {});
  await t!.services.auth.createUser({ email: 'pat@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
  const boss = (await post('/api/v1/auth/login', { email: 'boss@example.com', password: STRONG_PASSWORD })).json();
  const pat = (await post('/api/v1/auth/login', { email: 'pat@example.com', password: STRONG_PASSWORD })).json();
  return { boss, pat };
}

describe('emergency auth mode', () => {
  it('closes registration, admits only admins with short tokens, can revoke every other session, and switches back', async () => {
    t = await makeTestApp(ENV);
    const { boss, pat } = await people();
    const auth = { authorization: `Bearer ${boss.access_token}` };
    const on = await t.app.inject({ method: 'PUT', url: '/api/v1/admin/emergency', headers: auth, payload: { enabled: true, revoke_sessions: true } });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toMatchObject({ enabled: true, source: 'admin_api', sessions_revoked: 1, access_token_ttl_seconds: 300 });

    const reg = await post('/api/v1/auth/register', { email: 'new@example.com', password: STRONG_PASSWORD });
    expect(reg.statusCode).toBe(403);
    expect(reg.json().code).toBe('registration_closed');
    const userLogin = await post('/api/v1/auth/login', { email: 'pat@example.com', password: STRONG_PASSWORD });
    expect(userLogin.statusCode).toBe(403);
    expect(userLogin.json().code).toBe('emergency_mode');
    // A wrong password still looks like a wrong password (no hint that the mode is on for this account).
    expect((await post('/api/v1/auth/login', { email: 'pat@example.com', password: 'not-the-password-at-all' })).statusCode).toBe(401);
    // Pat's session was revoked: the refresh token and the access token are dead.
    expect((await post('/api/v1/auth/refresh', { refresh_token: pat.refresh_token })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${pat.access_token}` } })).statusCode).toBe(401);
    // The admin's own session lives on; new admin tokens are short.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: auth })).statusCode).toBe(200);
    const adminLogin = (await post('/api/v1/auth/login', { email: 'boss@example.com', password: STRONG_PASSWORD })).json();
    expect(adminLogin.expires_in).toBe(300);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/security-info' })).json().emergency_mode).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/health' })).json().features).toMatchObject({ emergency_mode: true, rate_limiting: true });
    expect(t.events.filter((e) => e.type === 'EMERGENCY_MODE_CHANGED').map((e) => e.details)).toEqual([{ enabled: true, source: 'admin_api', sessions_revoked: 1 }]);

    const off = await t.app.inject({ method: 'PUT', url: '/api/v1/admin/emergency', headers: auth, payload: { enabled: false } });
    expect(off.json().enabled).toBe(false);
    expect((await post('/api/v1/auth/login', { email: 'pat@example.com', password: STRONG_PASSWORD })).statusCode).toBe(200);
    expect((await post('/api/v1/auth/register', { email: 'new@example.com', password: STRONG_PASSWORD })).statusCode).toBe(201);
  });

  it('a user\'s refresh is refused without spending the token, so it works again afterwards', async () => {
    t = await makeTestApp(ENV);
    const { boss, pat } = await people();
    const auth = { authorization: `Bearer ${boss.access_token}` };
    await t.app.inject({ method: 'PUT', url: '/api/v1/admin/emergency', headers: auth, payload: { enabled: true } });
    const refused = await post('/api/v1/auth/refresh', { refresh_token: pat.refresh_token });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('emergency_mode');
    await t.app.inject({ method: 'PUT', url: '/api/v1/admin/emergency', headers: auth, payload: { enabled: false } });
    expect((await post('/api/v1/auth/refresh', { refresh_token: pat.refresh_token })).statusCode).toBe(200);
    expect(t.events.some((e) => e.type === 'REFRESH_REUSE_DETECTED')).toBe(false);
    expect(t.events.filter((e) => e.type === 'EMERGENCY_MODE_CHANGED').map((e) => e.details)).toEqual([{ enabled: true, source: 'admin_api' }, { enabled: false, source: 'admin_api' }]);
  });

  it('EMERGENCY_AUTH_MODE=true holds from the start and cannot be switched off at run time', async () => {
    t = await makeTestApp({ ...ENV, EMERGENCY_AUTH_MODE: 'true' });
    await t.services.auth.createUser({ email: 'boss@example.com', password: STRONG_PASSWORD, role: 'admin' }, {});
    const boss = (await post('/api/v1/auth/login', { email: 'boss@example.com', password: STRONG_PASSWORD })).json();
    expect(boss.expires_in).toBe(300);
    const off = await t.app.inject({ method: 'PUT', url: '/api/v1/admin/emergency', headers: { authorization: `Bearer ${boss.access_token}` }, payload: { enabled: false } });
    expect(off.statusCode).toBe(409);
    expect((await post('/api/v1/auth/register', { email: 'x@example.com', password: STRONG_PASSWORD })).statusCode).toBe(403);
  });

  it('a switch persists across a restart', async () => {
    const url = `sqlite:/tmp/vigil-emergency-${process.pid}-${Date.now()}.db`;
    t = await makeTestApp({ ...ENV, DATABASE_URL: url });
    const { boss } = await people();
    await t.app.inject({ method: 'PUT', url: '/api/v1/admin/emergency', headers: { authorization: `Bearer ${boss.access_token}` }, payload: { enabled: true } });
    await t.close();
    t = await makeTestApp({ ...ENV, DATABASE_URL: url });
    expect(t.services.protection.emergency.enabled()).toBe(true);
    expect((await post('/api/v1/auth/login', { email: 'pat@example.com', password: STRONG_PASSWORD })).statusCode).toBe(403);
  });
});
