import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/services.js';
import { adminRoutesOf, type AppRoute } from './routes.js';
import { ADMIN_KEY, PUBLIC_KEY, signIn, type SignedIn } from './support.js';

/** Plausible values for path parameters, so an admin's call reaches the handler (a 404 for an unknown id is fine). */
const PARAMS: Record<string, string> = {
  id: '00000000-0000-4000-8000-000000000000', user_id: '00000000-0000-4000-8000-000000000000', sid: '00000000-0000-4000-8000-000000000000',
  target: '192.0.2.44', name: 'cleanup-tokens', file: 'vigil-sqlite-20260101T000000000Z.db.gz',
};
const urlOf = (r: AppRoute) => r.path.replace(/:(\w+)/g, (_, p: string) => PARAMS[p] ?? 'x');

/**
 * Every route under /api/v1/admin, read from the built app: anonymous → 401, a signed-in user →
 * 403, a public API key → 403, an admin (user or admin API key) → neither. Routes added later are
 * walked without editing this file.
 */
describe('admin API authorization: every route, every kind of caller', () => {
  let t: TestApp;
  let routes: AppRoute[];
  let user: SignedIn;
  let admin: SignedIn;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admin-authz-'));

  beforeAll(async () => {
    t = await makeTestApp({
      ADMIN_API_KEY: ADMIN_KEY, PUBLIC_API_KEY: PUBLIC_KEY, DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`,
      BACKUP_DIR: join(dir, 'backups'), REPORTS_DIR: join(dir, 'reports'),
    });
    user = await signIn(t, 'plain-user@example.com');
    admin = await signIn(t, 'the-admin@example.com', 'admin');
    routes = adminRoutesOf(t.app);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (r: AppRoute, headers: Record<string, string>) => t.app.inject({ method: r.method as 'GET', url: urlOf(r), headers });

  it('reads the admin routes from the app, the new ones among them', () => {
    expect(routes.length).toBeGreaterThan(40);
    const listed = routes.map((r) => `${r.method} ${r.path}`);
    for (const route of ['GET /api/v1/admin/config', 'GET /api/v1/admin/users', 'DELETE /api/v1/admin/users/:id', 'DELETE /api/v1/admin/sessions/:sid', 'POST /api/v1/admin/api-keys', 'GET /api/v1/admin/stats', 'GET /api/v1/admin/ip-allowlist', 'PUT /api/v1/admin/emergency']) {
      expect(listed).toContain(route);
    }
  });

  it('anonymous callers get 401 unauthenticated with a Bearer challenge', async () => {
    for (const r of routes) {
      const res = await call(r, {});
      expect(res.statusCode, `${r.method} ${r.path}: ${res.body}`).toBe(401);
      if (r.method !== 'HEAD') expect(res.json(), `${r.method} ${r.path}`).toMatchObject({ code: 'unauthenticated' });
      expect(res.headers['www-authenticate'], `${r.method} ${r.path}`).toMatch(/^Bearer realm="vigil"/);
    }
  });

  it('a signed-in user without the admin role gets 403 forbidden', async () => {
    for (const r of routes) {
      const res = await call(r, user.headers);
      expect(res.statusCode, `${r.method} ${r.path}: ${res.body}`).toBe(403);
      if (r.method !== 'HEAD') expect(res.json(), `${r.method} ${r.path}`).toMatchObject({ code: 'forbidden' });
    }
  });

  it('a public API key gets 403 forbidden', async () => {
    for (const r of routes) {
      const res = await call(r, { 'x-api-key': PUBLIC_KEY });
      expect(res.statusCode, `${r.method} ${r.path}: ${res.body}`).toBe(403);
    }
  });

  it('a wrong or revoked credential gets 401', async () => {
    for (const r of routes) {
      expect((await call(r, { authorization: 'Bearer not.a.token' })).statusCode, `${r.method} ${r.path}`).toBe(401);
      expect((await call(r, { 'x-api-key': 'vgl_not-a-key' })).statusCode, `${r.method} ${r.path}`).toBe(401);
    }
  });

  it('an admin (user or admin API key) passes the guard on every route', async () => {
    for (const headers of [admin.headers, { 'x-api-key': ADMIN_KEY }]) {
      for (const r of routes) {
        const res = await call(r, headers);
        expect([401, 403], `${r.method} ${r.path}: ${res.statusCode} ${res.body.slice(0, 200)}`).not.toContain(res.statusCode);
        expect(res.statusCode, `${r.method} ${r.path}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
      }
    }
  });
});
