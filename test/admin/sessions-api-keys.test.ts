import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/shared/crypto.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { ADMIN_KEY, adminActions, adminKey, expectProblem, signIn } from './support.js';

interface SessionBody { sid: string; user_id: string; created_at: string; last_rotated_at: string | null; expires_at: string; ip: string | null; user_agent: string | null }
interface KeyBody { id: string; name: string; prefix: string; scope: string; status: string; expires_at: string | null; revoked_at: string | null; created_by: string | null }

describe('admin API: sessions, API keys, IP allowlist', () => {
  let t: TestApp;
  const get = (url: string, headers: Record<string, string> = adminKey) => t.app.inject({ method: 'GET', url, headers });
  const del = (url: string, headers: Record<string, string> = adminKey) => t.app.inject({ method: 'DELETE', url, headers });

  beforeAll(async () => {
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY, IP_ALLOWLIST: '127.0.0.1, 10.0.0.0/8, 2001:db8::/32' });
  });
  afterAll(() => t.close());

  it('lists active sessions, by user, newest first', async () => {
    const a1 = await signIn(t, 'sess-a@example.com');
    const b1 = await signIn(t, 'sess-b@example.com');
    const a2 = await signIn(t, 'sess-a@example.com');
    const all = (await get('/api/v1/admin/sessions')).json<{ sessions: SessionBody[] }>().sessions;
    expect(all.map((s) => s.user_id)).toEqual([a2.id, b1.id, a1.id]);
    expect(all[0]).toMatchObject({ ip: '127.0.0.1', user_agent: 'test-agent sess-a@example.com', last_rotated_at: null, created_at: expect.any(String), expires_at: expect.any(String) });
    const mine = (await get(`/api/v1/admin/sessions?user_id=${a1.id}&limit=1`)).json<{ sessions: SessionBody[] }>().sessions;
    expect(mine).toHaveLength(1);
    expect(mine[0]!.user_id).toBe(a1.id);
    expectProblem(await get('/api/v1/admin/sessions?limit=0'), 400, 'validation_failed');
  });

  it('revokes one session: its access and refresh tokens stop working, the user\'s other sessions do not', async () => {
    const one = await signIn(t, 'sess-c@example.com');
    const two = await signIn(t, 'sess-c@example.com');
    const sid = (await get(`/api/v1/admin/sessions?user_id=${one.id}`)).json<{ sessions: SessionBody[] }>().sessions.at(-1)!.sid;
    const res = await del(`/api/v1/admin/sessions/${sid}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ revoked: true, session: { sid, user_id: one.id } });
    expectProblem(await get('/api/v1/auth/me', one.headers), 401, 'invalid_token');
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: one.refresh } }), 401, 'invalid_refresh_token');
    expect((await get('/api/v1/auth/me', two.headers)).statusCode).toBe(200);
    expect(adminActions(t, 'session_revoke')).toEqual([{ action: 'session_revoke', target: sid, actor: 'api_key:ADMIN_API_KEY', user_id: undefined }]);
    expectProblem(await del(`/api/v1/admin/sessions/${sid}`), 404, 'not_found');
  });

  it('creates an API key shown once, lists keys without the key or its hash, and revokes it', async () => {
    const root = await signIn(t, 'keys-admin@example.com', 'admin');
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/admin/api-keys', headers: root.headers, payload: { name: 'ci deploys', scope: 'admin', expires_in: '90d' } });
    expect(created.statusCode, created.body).toBe(201);
    const { key, api_key } = created.json<{ key: string; api_key: KeyBody }>();
    expect(key).toMatch(/^vgl_[A-Za-z0-9_-]{43}$/);
    expect(api_key).toMatchObject({ name: 'ci deploys', scope: 'admin', status: 'active', prefix: key.slice(0, 12), created_by: `user:${root.id}`, revoked_at: null });
    expect(Date.parse(api_key.expires_at!) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect(t.events).toContainEqual(expect.objectContaining({ type: 'API_KEY_CREATED', details: { key_id: api_key.id, name: 'ci deploys', scope: 'admin' } }));
    expect(adminActions(t, 'api_key_create')).toEqual([{ action: 'api_key_create', target: api_key.id, actor: `user:${root.id}`, user_id: root.id }]);
    // The new key is an admin credential.
    expect((await get('/api/v1/admin/stats', { 'x-api-key': key })).statusCode).toBe(200);

    const list = await get('/api/v1/admin/api-keys');
    expect(list.body).not.toContain(key);
    expect(list.body).not.toContain(sha256(key));
    expect(list.json<{ api_keys: KeyBody[] }>().api_keys).toContainEqual(expect.objectContaining({ id: api_key.id, status: 'active' }));

    const revoked = await del(`/api/v1/admin/api-keys/${api_key.id}`);
    expect(revoked.json()).toMatchObject({ id: api_key.id, status: 'revoked', revoked_at: expect.any(String) });
    expect(adminActions(t, 'api_key_revoke')).toEqual([{ action: 'api_key_revoke', target: api_key.id, actor: 'api_key:ADMIN_API_KEY', user_id: undefined }]);
    expectProblem(await get('/api/v1/admin/stats', { 'x-api-key': key }), 401, 'invalid_api_key');
    expectProblem(await del(`/api/v1/admin/api-keys/${api_key.id}`), 404, 'not_found');
  });

  it('refuses a bad lifetime or scope with a problem naming the field', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/admin/api-keys', headers: adminKey, payload: { name: 'x', scope: 'public', expires_in: 'forever' } });
    expectProblem(bad, 400, 'validation_failed');
    expect(bad.json()).toMatchObject({ errors: [{ pointer: '/expires_in' }] });
    const scope = await t.app.inject({ method: 'POST', url: '/api/v1/admin/api-keys', headers: adminKey, payload: { name: 'x', scope: 'root' } });
    expectProblem(scope, 400, 'validation_failed');
    expect(scope.json().errors.map((e: { pointer: string }) => e.pointer)).toContain('/scope');
  });

  it('shows IP_ALLOWLIST read-only', async () => {
    const res = await get('/api/v1/admin/ip-allowlist');
    expect(res.json()).toEqual({ source: 'IP_ALLOWLIST', entries: [{ target: '127.0.0.1', kind: 'ipv4' }, { target: '10.0.0.0/8', kind: 'ipv4' }, { target: '2001:db8::/32', kind: 'ipv6' }] });
    expect((await t.app.inject({ method: 'PUT', url: '/api/v1/admin/ip-allowlist', headers: adminKey, payload: {} })).statusCode).toBe(404);
  });
});

describe('admin API: stats', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY });
  });
  afterAll(() => t.close());

  it('counts users, today\'s logins and failures, blocks, sessions and the last day\'s events by type', async () => {
    await signIn(t, 'stats-admin@example.com', 'admin');
    const u = await signIn(t, 'stats-user@example.com');
    await signIn(t, 'stats-user@example.com');
    await signIn(t, 'stats-gone@example.com');
    await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${(await t.services.users.findByEmail('stats-gone@example.com'))!.id}/disable`, headers: adminKey });
    for (const password of ['wrong-password-1', 'wrong-password-2']) await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password } });
    await t.services.protection.lockout.lock({ id: u.id, email: u.email }, 'test', {});
    await t.app.inject({ method: 'POST', url: '/api/v1/admin/ip-blocks', headers: adminKey, payload: { target: '203.0.113.7', reason: 'stats test' } });
    await t.services.securityEvents.store.flush();

    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/stats', headers: adminKey });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      users: { total: 3, admins: 1, disabled: 1, locked: 1, new_today: 3 },
      logins_today: { success: 4, failure: 2 },
      blocked_ips: 1,
      active_sessions: 3,
      events_by_type: expect.objectContaining({ REGISTERED: 3, LOGIN_SUCCEEDED: 4, LOGIN_FAILED: 2, ACCOUNT_LOCKED: 1, IP_BLOCKED: 1, ADMIN_ACTION: 2 }),
      generated_at: expect.any(String),
    });
    expect(Math.abs(Date.parse(body.generated_at) - Date.now())).toBeLessThan(5000);
  });
});
