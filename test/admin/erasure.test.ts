import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseDetails, mentionsEmail } from '../../src/admin/erasure.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { ADMIN_KEY, adminActions, adminKey, expectProblem, signIn } from './support.js';

describe('erasure: what is kept and what goes from event details', () => {
  const subject = { userId: 'u-1', email: 'pat@example.com', pseudonym: 'erased:abc' };
  it('removes personal fields at any depth and replaces the id, its actor form and the email', () => {
    expect(eraseDetails({ email: 'pat@example.com', reason: 'wrong_password' }, subject)).toEqual({ reason: 'wrong_password' });
    expect(eraseDetails({ action: 'user_disable', target: 'u-1', actor: 'user:u-1' }, subject)).toEqual({ action: 'user_disable', target: 'erased:abc', actor: 'erased:abc' });
    expect(eraseDetails({ kind: 'x', evidence: { ip: '192.0.2.1', subject: 'PAT@example.com', count: 3, name: 'Pat' } }, subject)).toEqual({ kind: 'x', evidence: { subject: 'erased:abc', count: 3 } });
    expect(eraseDetails({ family_id: 'f', list: ['u-1', 'other'] }, subject)).toEqual({ family_id: 'f', list: ['erased:abc', 'other'] });
    expect(mentionsEmail({ a: { b: ['PAT@EXAMPLE.COM'] } }, 'pat@example.com')).toBe(true);
    expect(mentionsEmail({ email: 'jimpat@example.com' }, 'pat@example.com')).toBe(false);
  });
});

describe('admin API: deleting a user erases its personal data', () => {
  let t: TestApp;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-erasure-'));
  const env = { ADMIN_API_KEY: ADMIN_KEY, DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}` };
  const stored = async (app: TestApp) => {
    await app.services.securityEvents.store.flush();
    const page = await app.services.securityEvents.list({ limit: 1000 });
    if (!page.ok) throw new Error('list failed');
    return page.events;
  };

  beforeAll(async () => {
    t = await makeTestApp(env);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps type, time and severity; the user id becomes a pseudonym; IP, email and name go; tokens stop working, also after a restart', async () => {
    const email = 'pat.erased@example.com';
    // A failed login for the email before the account existed: no user id, but the email in the details.
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'not-the-password-at-all' }, headers: { 'x-forwarded-for': '198.51.100.9' } });
    const other = await signIn(t, 'bystander@example.com');
    const pat = await signIn(t, email, 'admin', 'Pat Erased');
    const keeper = await signIn(t, 'keeper@example.com', 'admin');
    // Pat acts as an admin (an API key it creates) and is acted on (revoke its other sessions).
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/admin/api-keys', headers: pat.headers, payload: { name: 'made by pat', scope: 'public' } });
    expect(created.statusCode, created.body).toBe(201);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${pat.id}/revoke-sessions`, headers: keeper.headers })).json()).toEqual({ revoked: 1 });
    const second = await signIn(t, email);
    await t.services.protection.lockout.lock({ id: pat.id, email }, 'test', { ip: '203.0.113.5' });
    const before = await stored(t);
    const patEvents = before.filter((e) => e.user_id === pat.id || JSON.stringify(e.details).includes(email) || JSON.stringify(e.details).includes(pat.id));
    expect(patEvents.length).toBeGreaterThanOrEqual(5);

    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${pat.id}`, headers: keeper.headers });
    expect(res.statusCode, res.body).toBe(200);
    const { events_erased, pseudonym } = res.json<{ deleted: true; events_erased: number; pseudonym: string }>();
    expect(res.json()).toMatchObject({ deleted: true });
    expect(pseudonym).toMatch(/^erased:[0-9a-f]{16}$/);
    expect(events_erased).toBe(patEvents.length);

    const after = await stored(t);
    const text = JSON.stringify(after);
    expect(text).not.toContain(email);
    expect(text).not.toContain(pat.id);
    expect(text).not.toContain('Pat Erased');
    // Nothing lost: the same events (plus the ADMIN_ACTION of the deletion), same types, times and severities.
    const byId = new Map(after.map((e) => [e.id, e]));
    for (const e of patEvents) {
      const now = byId.get(e.id)!;
      expect({ type: now.type, time: now.time, severity: now.severity }).toEqual({ type: e.type, time: e.time, severity: e.severity });
      if (e.user_id === pat.id || JSON.stringify(e.details).includes(email)) expect(now.ip, `${e.type} keeps no IP`).toBeNull();
      if (e.user_id === pat.id) expect(now.user_id).toBe(pseudonym);
    }
    // Admin actions on pat keep the acting admin's id; the target is the pseudonym.
    const revoke = after.find((e) => e.type === 'ADMIN_ACTION' && e.details.action === 'user_revoke_sessions');
    expect(revoke).toMatchObject({ user_id: keeper.id, ip: '127.0.0.1', details: { target: pseudonym, actor: `user:${keeper.id}` } });
    // The deletion is recorded against the pseudonym, never the old id.
    expect(adminActions(t, 'user_delete')).toEqual([{ action: 'user_delete', target: pseudonym, actor: `user:${keeper.id}`, user_id: keeper.id }]);
    // Records of what pat did as an admin name the pseudonym.
    const keys = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/api-keys', headers: adminKey })).json<{ api_keys: { name: string; created_by: string }[] }>().api_keys;
    expect(keys.find((k) => k.name === 'made by pat')?.created_by).toBe(pseudonym);
    // The bystander is untouched.
    expect(after.some((e) => e.user_id === other.id && e.type === 'LOGIN_SUCCEEDED' && e.ip !== null)).toBe(true);

    expectProblem(await t.app.inject({ method: 'GET', url: `/api/v1/admin/users/${pat.id}`, headers: adminKey }), 404, 'not_found');
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: second.headers }), 401, 'invalid_token');
    expectProblem(await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${pat.id}`, headers: adminKey }), 404, 'not_found');

    // After a restart the refresh-token rows are gone, yet pat's admin access token stays refused.
    await t.close();
    t = await makeTestApp(env);
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: second.headers }), 401, 'invalid_token');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: keeper.headers })).statusCode).toBe(200);
  });
});
