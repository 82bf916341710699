import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerting/types.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { adminRoutesOf, isMutating } from './routes.js';
import { ADMIN_KEY, signIn, type SignedIn } from './support.js';

/** One valid request for a mutating admin route, and the ADMIN_ACTION it must record. */
interface Case {
  action: string;
  /** Builds what the request needs (a user, a block, an incident…) and returns the request. */
  prepare(): Promise<{ url: string; payload?: object; target?: string }>;
  /** Puts things back for the next cases (emergency mode off). */
  after?(): Promise<void>;
}

describe('every mutating admin route records ADMIN_ACTION naming the actor', () => {
  let t: TestApp;
  let admin: SignedIn;
  let n = 0;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admin-audit-'));

  beforeAll(async () => {
    t = await makeTestApp({
      ADMIN_API_KEY: ADMIN_KEY, DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`, BACKUP_DIR: join(dir, 'backups'), REPORTS_DIR: join(dir, 'reports'),
      ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/unused',
    });
    admin = await signIn(t, 'auditing-admin@example.com', 'admin');
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const newUser = async () => signIn(t, `audited-${++n}@example.com`);
  const lockedUser = async () => {
    const u = await newUser();
    await t.services.protection.lockout.lock({ id: u.id, email: u.email }, 'test', {});
    return u;
  };
  const incident = async (state: 'open' | 'resolved' = 'open') => {
    const now = Date.now();
    const rule = `AuditTest${++n}`;
    const alert: Alert = { fingerprint: rule, rule, state: 'firing', severity: 'critical', category: 'availability', labels: { alertname: rule }, annotations: { summary: `audit test ${n}` }, value: 1, activeAt: now, firedAt: now, resolvedAt: undefined };
    await t.services.incidents!.onAlert({ alert, from: 'pending' }, true);
    const [found] = (await t.services.incidents!.list({ limit: 100 })).filter((i) => i.title === `audit test ${n}`);
    if (state === 'resolved') await t.services.incidents!.resolve(found!.id, 'setup');
    return found!.id;
  };

  const CASES: Record<string, Case> = {
    'POST /api/v1/admin/ip-blocks': { action: 'ip_block', prepare: async () => ({ url: '/api/v1/admin/ip-blocks', payload: { target: '198.51.100.10', reason: 'audit' }, target: '198.51.100.10' }) },
    'DELETE /api/v1/admin/ip-blocks/:target': {
      action: 'ip_unblock',
      prepare: async () => {
        await t.services.protection.ipBlocks.block({ target: '198.51.100.11', durationMs: 60_000, reason: 'audit', source: 'manual' }, {});
        return { url: '/api/v1/admin/ip-blocks/198.51.100.11', target: '198.51.100.11' };
      },
    },
    'DELETE /api/v1/admin/locked-accounts/:user_id': { action: 'account_unlock', prepare: async () => { const u = await lockedUser(); return { url: `/api/v1/admin/locked-accounts/${u.id}`, target: u.id }; } },
    'PUT /api/v1/admin/emergency': {
      action: 'emergency_on',
      prepare: async () => ({ url: '/api/v1/admin/emergency', payload: { enabled: true } }),
      after: async () => void (await t.services.protection.emergency.set(false, { source: 'cli', actor: 'cleanup' }, {})),
    },
    'POST /api/v1/admin/jobs/:name/run': { action: 'job_run', prepare: async () => ({ url: '/api/v1/admin/jobs/cleanup-tokens/run', payload: {}, target: 'cleanup-tokens' }) },
    'POST /api/v1/admin/backups': { action: 'backup_create', prepare: async () => ({ url: '/api/v1/admin/backups', payload: {} }) },
    'POST /api/v1/admin/backups/:file/verify': {
      action: 'backup_verify',
      prepare: async () => {
        const made = await t.services.maintenance.backups.create({ label: 'audit' });
        return { url: `/api/v1/admin/backups/${made.file}/verify`, target: made.file };
      },
    },
    'POST /api/v1/admin/alerts/silences': { action: 'alert_silence', prepare: async () => ({ url: '/api/v1/admin/alerts/silences', payload: { matchers: ['alertname=Audit'], duration: '1h', comment: 'audit' } }) },
    'DELETE /api/v1/admin/alerts/silences/:id': {
      action: 'alert_unsilence',
      prepare: async () => {
        const s = await t.services.alerting!.silences.create({ matchers: [{ name: 'alertname', op: '=', value: 'Audit2' }] as never, durationMs: 3_600_000, createdBy: 'setup', comment: 'audit' });
        return { url: `/api/v1/admin/alerts/silences/${s.id}`, target: s.id };
      },
    },
    'POST /api/v1/admin/alerts/test': { action: 'alert_test', prepare: async () => ({ url: '/api/v1/admin/alerts/test', payload: { receiver: 'webhook' }, target: 'webhook' }) },
    'POST /api/v1/admin/incidents/:id/ack': { action: 'incident_ack', prepare: async () => { const id = await incident(); return { url: `/api/v1/admin/incidents/${id}/ack`, target: id }; } },
    'POST /api/v1/admin/incidents/:id/notes': { action: 'incident_note', prepare: async () => { const id = await incident(); return { url: `/api/v1/admin/incidents/${id}/notes`, payload: { text: 'audit note' }, target: id }; } },
    'POST /api/v1/admin/incidents/:id/resolve': { action: 'incident_resolve', prepare: async () => { const id = await incident(); return { url: `/api/v1/admin/incidents/${id}/resolve`, payload: {}, target: id }; } },
    'POST /api/v1/admin/incidents/:id/close': { action: 'incident_close', prepare: async () => { const id = await incident('resolved'); return { url: `/api/v1/admin/incidents/${id}/close`, payload: {}, target: id }; } },
    'PUT /api/v1/admin/incidents/:id/public': { action: 'incident_public_title', prepare: async () => { const id = await incident(); return { url: `/api/v1/admin/incidents/${id}/public`, payload: { public_title: 'Slow sign-in' }, target: id }; } },
    'POST /api/v1/admin/incidents/:id/public-updates': { action: 'incident_public_update', prepare: async () => { const id = await incident(); return { url: `/api/v1/admin/incidents/${id}/public-updates`, payload: { text: 'We are on it.' }, target: id }; } },
    'POST /api/v1/admin/users/:id/disable': { action: 'user_disable', prepare: async () => { const u = await newUser(); return { url: `/api/v1/admin/users/${u.id}/disable`, payload: {}, target: u.id }; } },
    'POST /api/v1/admin/users/:id/enable': {
      action: 'user_enable',
      prepare: async () => {
        const u = await newUser();
        await t.services.admin.users.disable(u.id, { actor: 'setup', selfId: undefined, ctx: {} });
        return { url: `/api/v1/admin/users/${u.id}/enable`, payload: {}, target: u.id };
      },
    },
    'POST /api/v1/admin/users/:id/unlock': { action: 'account_unlock', prepare: async () => { const u = await lockedUser(); return { url: `/api/v1/admin/users/${u.id}/unlock`, payload: {}, target: u.id }; } },
    'POST /api/v1/admin/users/:id/revoke-sessions': { action: 'user_revoke_sessions', prepare: async () => { const u = await newUser(); return { url: `/api/v1/admin/users/${u.id}/revoke-sessions`, payload: {}, target: u.id }; } },
    'PUT /api/v1/admin/users/:id/role': { action: 'user_promote', prepare: async () => { const u = await newUser(); return { url: `/api/v1/admin/users/${u.id}/role`, payload: { role: 'admin' }, target: u.id }; } },
    'DELETE /api/v1/admin/users/:id': { action: 'user_delete', prepare: async () => { const u = await newUser(); return { url: `/api/v1/admin/users/${u.id}` }; } },
    'DELETE /api/v1/admin/sessions/:sid': {
      action: 'session_revoke',
      prepare: async () => {
        const u = await newUser();
        const [s] = await t.services.admin.sessions.list({ userId: u.id, limit: 1 });
        return { url: `/api/v1/admin/sessions/${s!.sid}`, target: s!.sid };
      },
    },
    'POST /api/v1/admin/api-keys': { action: 'api_key_create', prepare: async () => ({ url: '/api/v1/admin/api-keys', payload: { name: 'audited key', scope: 'public' } }) },
    'DELETE /api/v1/admin/api-keys/:id': {
      action: 'api_key_revoke',
      prepare: async () => {
        const { record } = await t.services.apiKeys.create({ name: 'to revoke', scope: 'public' }, {});
        return { url: `/api/v1/admin/api-keys/${record.id}`, target: record.id };
      },
    },
  };

  it('the table has a case for every mutating admin route of the app', () => {
    const mutating = adminRoutesOf(t.app).filter(isMutating).map((r) => `${r.method} ${r.path}`);
    expect(mutating.length).toBeGreaterThan(20);
    for (const route of mutating) expect(Object.keys(CASES), `no ADMIN_ACTION case for ${route}: add one to CASES`).toContain(route);
  });

  it('each case succeeds and records ADMIN_ACTION with the action, the target and the acting admin', async () => {
    const served = new Set(adminRoutesOf(t.app).map((r) => `${r.method} ${r.path}`));
    for (const [route, c] of Object.entries(CASES)) {
      // A case for a route this build does not serve (yet) has nothing to check.
      if (!served.has(route)) continue;
      const method = route.split(' ')[0] as 'POST';
      const { url, payload, target } = await c.prepare();
      const before = t.events.length;
      const res = await t.app.inject({ method, url, headers: admin.headers, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${route}: ${res.body.slice(0, 300)}`).toBeLessThan(300);
      const recorded = t.events.slice(before).filter((e) => e.type === 'ADMIN_ACTION').map((e) => ({ ...(e.details as object), user_id: e.user_id, ip: e.ip }));
      expect(recorded, route).toContainEqual(expect.objectContaining({ action: c.action, actor: `user:${admin.id}`, user_id: admin.id, ip: '127.0.0.1', ...(target ? { target } : {}) }));
      await c.after?.();
    }
  });
});
