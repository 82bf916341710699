import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/services.js';
import { ADMIN_KEY, adminActions, adminKey, expectProblem, signIn, type SignedIn } from './support.js';

interface UserBody { id: string; email: string; name: string | null; role: string; disabled_at: string | null; locked_until: string | null; active_sessions: number; last_login_at: string | null }

describe('admin API: users', () => {
  let t: TestApp;
  let root: SignedIn;
  const get = (url: string, headers: Record<string, string> = adminKey) => t.app.inject({ method: 'GET', url, headers });
  const post = (url: string, headers: Record<string, string> = adminKey) => t.app.inject({ method: 'POST', url, headers });
  const me = (u: SignedIn) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: u.headers });

  beforeAll(async () => {
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY });
    root = await signIn(t, 'root@example.com', 'admin', 'Root Admin');
  });
  afterAll(() => t.close());

  it('searches by part of the email or the name, case-insensitive, with role and status filters', async () => {
    await signIn(t, 'alice.search@example.com', 'user', 'Alice Wonder');
    await signIn(t, 'bob.search@example.com', 'user', 'Bob 100%_Builder');
    const byName = await get('/api/v1/admin/users?q=WONDER');
    expect(byName.statusCode, byName.body).toBe(200);
    expect(byName.json<{ users: UserBody[] }>().users.map((u) => u.email)).toEqual(['alice.search@example.com']);
    expect(byName.json<{ users: UserBody[] }>().users[0]).toMatchObject({ name: 'Alice Wonder', role: 'user', disabled_at: null, locked_until: null, active_sessions: 1, last_login_at: expect.any(String) });
    // LIKE wildcards in the query are taken literally.
    expect((await get('/api/v1/admin/users?q=100%25_b')).json<{ users: UserBody[] }>().users.map((u) => u.email)).toEqual(['bob.search@example.com']);
    expect((await get('/api/v1/admin/users?q=%25')).json<{ users: UserBody[] }>().users.map((u) => u.email)).toEqual(['bob.search@example.com']);
    expect((await get('/api/v1/admin/users?q=.SEARCH@')).json<{ users: UserBody[] }>().users).toHaveLength(2);
    expect((await get('/api/v1/admin/users?role=admin')).json<{ users: UserBody[] }>().users.map((u) => u.email)).toEqual(['root@example.com']);
  });

  it('pages by cursor without gaps or repeats; a forged cursor is a 400', async () => {
    for (let i = 0; i < 5; i++) await t.services.auth.createUser({ email: `page${i}@example.org`, password: 'correct-Horse-battery-staple-42', role: 'user' }, {});
    const seen: string[] = [];
    let url = '/api/v1/admin/users?q=%40example.org&limit=2';
    for (let pages = 0; pages < 5; pages++) {
      const res = await get(url);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ users: UserBody[]; next_cursor: string | null }>();
      seen.push(...body.users.map((u) => u.email));
      if (!body.next_cursor) break;
      url = `/api/v1/admin/users?q=%40example.org&limit=2&cursor=${body.next_cursor}`;
    }
    expect(seen).toEqual(['page0@example.org', 'page1@example.org', 'page2@example.org', 'page3@example.org', 'page4@example.org']);
    const bad = await get('/api/v1/admin/users?cursor=bm90LWEtY3Vyc29y');
    expectProblem(bad, 400, 'validation_failed');
    expect(bad.json()).toMatchObject({ errors: [{ pointer: '/cursor' }] });
    expectProblem(await get('/api/v1/admin/users?status=gone'), 400, 'validation_failed');
  });

  it('shows a user with its sessions (sign-in time, last refresh, client)', async () => {
    const first = await signIn(t, 'carol@example.com');
    await signIn(t, 'carol@example.com');
    const refreshed = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: first.refresh }, headers: { 'user-agent': 'refreshing-agent' } });
    expect(refreshed.statusCode).toBe(200);
    const res = await get(`/api/v1/admin/users/${first.id}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<UserBody & { sessions: { sid: string; created_at: string; last_rotated_at: string | null; user_agent: string; ip: string }[] }>();
    expect(body.active_sessions).toBe(2);
    expect(body.sessions).toHaveLength(2);
    const rotated = body.sessions.find((s) => s.last_rotated_at !== null)!;
    expect(rotated).toMatchObject({ user_agent: 'refreshing-agent', ip: '127.0.0.1' });
    expect(Date.parse(rotated.created_at)).toBeLessThanOrEqual(Date.parse(rotated.last_rotated_at!));
    expect(body.sessions.find((s) => s.last_rotated_at === null)).toMatchObject({ user_agent: 'test-agent carol@example.com' });
    expectProblem(await get('/api/v1/admin/users/00000000-0000-4000-8000-000000000000'), 404, 'not_found');
  });

  it('disable revokes every session and blocks sign-in and refresh; enable lets the user back', async () => {
    const dave = await signIn(t, 'dave@example.com');
    const res = await post(`/api/v1/admin/users/${dave.id}/disable`, root.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ user: { disabled_at: expect.any(String), active_sessions: 0 }, sessions_revoked: 1 });
    expectProblem(await me(dave), 401, 'invalid_token');
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: dave.refresh } }), 401, 'invalid_refresh_token');
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: dave.email, password: 'correct-Horse-battery-staple-42' } }), 401, 'invalid_credentials');
    expect((await get('/api/v1/admin/users?status=disabled')).json<{ users: UserBody[] }>().users.map((u) => u.email)).toEqual(['dave@example.com']);
    expect(adminActions(t, 'user_disable')).toContainEqual({ action: 'user_disable', target: dave.id, actor: `user:${root.id}`, user_id: root.id });

    const enabled = await post(`/api/v1/admin/users/${dave.id}/enable`);
    expect(enabled.json()).toMatchObject({ disabled_at: null });
    expect(adminActions(t, 'user_enable')).toContainEqual({ action: 'user_enable', target: dave.id, actor: 'api_key:ADMIN_API_KEY', user_id: undefined });
    expect((await me(await signIn(t, dave.email))).statusCode).toBe(200);
  });

  it('unlock ends a lock in force and says when there was none', async () => {
    const erin = await signIn(t, 'erin@example.com');
    await t.services.protection.lockout.lock({ id: erin.id, email: erin.email }, 'test', {});
    const listed = (await get('/api/v1/admin/users?status=locked')).json<{ users: UserBody[] }>().users;
    expect(listed.map((u) => u.email)).toEqual(['erin@example.com']);
    expect(listed[0]!.locked_until).toEqual(expect.any(String));
    expect((await get('/api/v1/admin/users?status=active&q=erin')).json<{ users: UserBody[] }>().users).toEqual([]);
    expect((await post(`/api/v1/admin/users/${erin.id}/unlock`)).json()).toEqual({ unlocked: true });
    expect(t.events).toContainEqual(expect.objectContaining({ type: 'ACCOUNT_UNLOCKED', user_id: erin.id, details: { email: erin.email, source: 'manual' } }));
    expect(adminActions(t, 'account_unlock')).toContainEqual(expect.objectContaining({ target: erin.id, actor: 'api_key:ADMIN_API_KEY' }));
    expect((await post(`/api/v1/admin/users/${erin.id}/unlock`)).json()).toEqual({ unlocked: false });
    expect((await get('/api/v1/admin/users?status=active&q=erin')).json<{ users: UserBody[] }>().users).toHaveLength(1);
  });

  it('revoke-sessions ends every session of the user at once', async () => {
    const a = await signIn(t, 'frank@example.com');
    const b = await signIn(t, 'frank@example.com');
    const res = await post(`/api/v1/admin/users/${a.id}/revoke-sessions`);
    expect(res.json()).toEqual({ revoked: 2 });
    expectProblem(await me(a), 401, 'invalid_token');
    expectProblem(await me(b), 401, 'invalid_token');
    expect(adminActions(t, 'user_revoke_sessions')).toContainEqual(expect.objectContaining({ target: a.id }));
    expectProblem(await post('/api/v1/admin/users/nobody/revoke-sessions'), 404, 'not_found');
  });

  it('role changes: promotion works at once; a demotion revokes the sessions (tokens carry the role)', async () => {
    const gina = await signIn(t, 'gina@example.com');
    const promoted = await t.app.inject({ method: 'PUT', url: `/api/v1/admin/users/${gina.id}/role`, headers: root.headers, payload: { role: 'admin' } });
    expect(promoted.json()).toMatchObject({ user: { role: 'admin' }, sessions_revoked: 0 });
    const asAdmin = await signIn(t, gina.email);
    expect((await get('/api/v1/admin/config', asAdmin.headers)).statusCode).toBe(200);
    const demoted = await t.app.inject({ method: 'PUT', url: `/api/v1/admin/users/${gina.id}/role`, headers: root.headers, payload: { role: 'user' } });
    expect(demoted.json()).toMatchObject({ user: { role: 'user' }, sessions_revoked: 2 });
    expectProblem(await get('/api/v1/admin/config', asAdmin.headers), 401, 'invalid_token');
    expect((await get('/api/v1/admin/config', (await signIn(t, gina.email)).headers)).statusCode).toBe(403);
    expect(adminActions(t, 'user_promote')).toEqual([expect.objectContaining({ target: gina.id, actor: `user:${root.id}` })]);
    expect(adminActions(t, 'user_demote')).toEqual([expect.objectContaining({ target: gina.id, actor: `user:${root.id}` })]);
    expectProblem(await t.app.inject({ method: 'PUT', url: `/api/v1/admin/users/${gina.id}/role`, headers: root.headers, payload: { role: 'owner' } }), 400, 'validation_failed');
  });

  it('refuses to leave no active admin, and refuses an admin disabling, demoting or deleting itself', async () => {
    const before = t.events.length;
    // root is the only admin: every way of removing it is a 409, even for an admin API key.
    expectProblem(await post(`/api/v1/admin/users/${root.id}/disable`), 409, 'conflict');
    expectProblem(await t.app.inject({ method: 'PUT', url: `/api/v1/admin/users/${root.id}/role`, headers: adminKey, payload: { role: 'user' } }), 409, 'conflict');
    expectProblem(await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${root.id}`, headers: adminKey }), 409, 'conflict');
    // With a second admin, root still cannot act on itself …
    const second = await signIn(t, 'second-admin@example.com', 'admin');
    expectProblem(await post(`/api/v1/admin/users/${root.id}/disable`, root.headers), 409, 'conflict');
    expectProblem(await t.app.inject({ method: 'PUT', url: `/api/v1/admin/users/${root.id}/role`, headers: root.headers, payload: { role: 'user' } }), 409, 'conflict');
    expectProblem(await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${root.id}`, headers: root.headers }), 409, 'conflict');
    expect(t.events.slice(before).filter((e) => e.type === 'ADMIN_ACTION')).toEqual([]);
    // … but may disable the other one, and then that one is the one that cannot be spared.
    expect((await post(`/api/v1/admin/users/${second.id}/disable`, root.headers)).statusCode).toBe(200);
    expectProblem(await post(`/api/v1/admin/users/${root.id}/disable`), 409, 'conflict');
    expect((await post(`/api/v1/admin/users/${second.id}/enable`, root.headers)).statusCode).toBe(200);
    expect((await post(`/api/v1/admin/users/${root.id}/disable`, (await signIn(t, second.email)).headers)).statusCode).toBe(200);
    expect((await post(`/api/v1/admin/users/${root.id}/enable`)).statusCode).toBe(200);
    root = await signIn(t, root.email);
  });
});
