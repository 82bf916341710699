import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../../src/incidents/ports.js';
import { MIGRATIONS, MIGRATION_TABLE } from '../../src/storage/migrations/index.js';
import * as m007 from '../../src/storage/migrations/007_status_latency.js';
import { migrateToLatest, type Database } from '../../src/storage/index.js';
import { createIncidentRepository } from '../../src/storage/repositories/incidents.js';
import { BACKENDS } from '../support/backends.js';
import { STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { json, servicesFor, tempWorkspace, vigil } from '../cli/harness.js';

const T0 = Date.parse('2026-11-02T10:00:00Z');
const incident = (id: string, overrides: Partial<IncidentRecord> = {}) => ({
  id, title: 'HighErrorRate on 10.1.2.3', severity: 'P1', status: 'open', group_key: 'alertname=HighErrorRate', created_at: T0,
  acknowledged_at: null, acknowledged_by: null, resolved_at: null, closed_at: null, escalations: 0, last_escalated_at: null, postmortem: null, ...overrides,
});

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`migration 007 on ${backend.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    const db = () => database.db as unknown as Kysely<any>;
    beforeAll(async () => {
      ({ database, drop } = await backend.open());
    });
    afterAll(async () => {
      await database.close();
      await drop();
    });

    it('rows written before it get public_title null and latency buckets 0; down and up again', async () => {
      const upTo006 = Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => name < '007'));
      const migrator = new Migrator({ db: db(), provider: { getMigrations: async () => upTo006 }, migrationTableName: MIGRATION_TABLE, migrationLockTableName: `${MIGRATION_TABLE}_lock` });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      await db().insertInto('incidents').values(incident('old')).execute();
      await sql`insert into slo_minutes (minute, instance, requests, errors_5xx, errors_4xx, slow_500, slow_1000, login_success, login_failure, registrations, registration_attempts, token_success, token_failure)
                values (${T0}, 'a', 7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0)`.execute(db());
      expect((await migrateToLatest(database.db))[0]).toBe('007_status_latency');

      const repo = createIncidentRepository(database.db);
      expect((await repo.get('old'))!.public_title).toBeNull();
      const minute = await db().selectFrom('slo_minutes').selectAll().executeTakeFirstOrThrow();
      expect(Number(minute.le_5ms)).toBe(0);
      expect(Number(minute.le_5000ms)).toBe(0);
      expect(Number(minute.requests)).toBe(7);
      // The repository round-trips a public title; a new incident starts without one.
      await repo.insert(incident('new'));
      expect(await repo.update('new', ['open'], { public_title: 'Login errors' })).toBe(true);
      expect((await repo.get('new'))!.public_title).toBe('Login errors');

      await m007.down(db());
      expect(Object.keys((await db().selectFrom('incidents').selectAll().where('id', '=', 'new').executeTakeFirstOrThrow()))).not.toContain('public_title');
      await m007.up(db());
      expect((await repo.get('new'))!.public_title).toBeNull();
    });
  });
}

describe('public title and public updates over the admin API', () => {
  const ADMIN_KEY = 'admin-key-for-public-incident-tests-012';
  const admin = { 'x-api-key': ADMIN_KEY };
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY });
    const repo = createIncidentRepository(t.services.database.db);
    await repo.insert(incident('inc-a'));
    await repo.insert(incident('inc-closed', { status: 'closed', closed_at: T0 + 1 }));
  });
  afterAll(() => t.close());

  it('sets, shows and clears the public title; posts public updates; each an ADMIN_ACTION naming the actor', async () => {
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/admin/incidents/inc-a/public', headers: admin, payload: { public_title: 'Some sign-ins fail' } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ id: 'inc-a', title: 'HighErrorRate on 10.1.2.3', public_title: 'Some sign-ins fail' });
    const update = await t.app.inject({ method: 'POST', url: '/api/v1/admin/incidents/inc-a/public-updates', headers: admin, payload: { text: 'We are rolling back a release.' } });
    expect(update.statusCode, update.body).toBe(200);

    const shown = (await t.app.inject({ url: '/api/v1/admin/incidents/inc-a', headers: admin })).json() as { public_title: string; timeline: { kind: string; actor: string; text: string }[] };
    expect(shown.public_title).toBe('Some sign-ins fail');
    expect(shown.timeline.map((e) => [e.kind, e.actor, e.text])).toEqual([
      ['public_title', 'api_key:ADMIN_API_KEY', 'public title: Some sign-ins fail'],
      ['public_update', 'api_key:ADMIN_API_KEY', 'We are rolling back a release.'],
    ]);
    const listed = (await t.app.inject({ url: '/api/v1/admin/incidents', headers: admin })).json() as { incidents: { id: string; public_title: string | null }[] };
    expect(listed.incidents.find((i) => i.id === 'inc-a')!.public_title).toBe('Some sign-ins fail');

    const cleared = await t.app.inject({ method: 'PUT', url: '/api/v1/admin/incidents/inc-a/public', headers: admin, payload: { public_title: null } });
    expect(cleared.json().public_title).toBeNull();
    const actions = t.events.filter((e) => e.type === 'ADMIN_ACTION').map((e) => e.details);
    expect(actions).toEqual(expect.arrayContaining([
      { action: 'incident_public_title', target: 'inc-a', actor: 'api_key:ADMIN_API_KEY' },
      { action: 'incident_public_update', target: 'inc-a', actor: 'api_key:ADMIN_API_KEY' },
    ]));
    expect(actions.filter((a) => (a as { action: string }).action === 'incident_public_title')).toHaveLength(2);
  });

  it('unknown incident 404, closed incident 409, bad bodies 400, non-admin 403; refusals are not recorded', async () => {
    const before = t.events.filter((e) => e.type === 'ADMIN_ACTION').length;
    const call = (url: string, method: 'PUT' | 'POST', payload: unknown, headers: Record<string, string> = admin) => t.app.inject({ method, url, headers, payload: payload as object });
    expect((await call('/api/v1/admin/incidents/nope/public', 'PUT', { public_title: 'x' })).statusCode).toBe(404);
    expect((await call('/api/v1/admin/incidents/nope/public-updates', 'POST', { text: 'x' })).statusCode).toBe(404);
    expect((await call('/api/v1/admin/incidents/inc-closed/public', 'PUT', { public_title: 'x' })).statusCode).toBe(409);
    expect((await call('/api/v1/admin/incidents/inc-closed/public-updates', 'POST', { text: 'x' })).statusCode).toBe(409);
    for (const body of [{}, { public_title: '' }, { public_title: 'x'.repeat(201) }, { public_title: 'x', extra: 1 }]) {
      expect((await call('/api/v1/admin/incidents/inc-a/public', 'PUT', body)).statusCode, JSON.stringify(body)).toBe(400);
    }
    for (const body of [{}, { text: '' }, { text: 'x'.repeat(2001) }, { text: null }]) {
      expect((await call('/api/v1/admin/incidents/inc-a/public-updates', 'POST', body)).statusCode, JSON.stringify(body)).toBe(400);
    }
    await t.services.auth.createUser({ email: 'plain@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'plain@example.com', password: STRONG_PASSWORD } });
    const user = { authorization: `Bearer ${login.json().access_token}` };
    expect((await call('/api/v1/admin/incidents/inc-a/public', 'PUT', { public_title: 'x' }, user)).statusCode).toBe(403);
    expect((await call('/api/v1/admin/incidents/inc-a/public-updates', 'POST', { text: 'x' }, {})).statusCode).toBe(401);
    expect(t.events.filter((e) => e.type === 'ADMIN_ACTION')).toHaveLength(before);
  });
});

describe('vigil incident public', () => {
  const ws = tempWorkspace();
  const run = (args: string[]) => vigil(args, ws.env, ws.dir);
  beforeAll(async () => {
    expect((await run(['migrate'])).code).toBe(0);
    const services = await servicesFor(ws.env);
    await createIncidentRepository(services.database.db).insert(incident('inc-cli'));
    await services.close();
  });
  afterAll(() => ws.remove());

  it('sets the title and posts an update (recorded as ADMIN_ACTION by the cli); bad use exits 2, an unknown id 1', async () => {
    const set = await run(['incident', 'public', 'inc-cli', '--title', 'Slow sign-ins', '--update', 'Investigating.', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(json<{ public_title: string }>(set).public_title).toBe('Slow sign-ins');
    const cleared = await run(['incident', 'public', 'inc-cli', '--clear-title']);
    expect(cleared.stdout).toContain('public title (generic)');
    const show = json<{ timeline: { kind: string; actor: string; text: string }[] }>(await run(['incident', 'show', 'inc-cli', '--json']));
    expect(show.timeline.map((e) => [e.kind, e.actor, e.text])).toEqual([
      ['public_title', 'cli', 'public title: Slow sign-ins'], ['public_update', 'cli', 'Investigating.'], ['public_title', 'cli', 'public title cleared'],
    ]);
    for (const args of [[], ['--title', 'x', '--clear-title'], ['--title', ''], ['--update', 'x'.repeat(2001)]]) {
      expect((await run(['incident', 'public', 'inc-cli', ...args])).code, args.join(' ')).toBe(2);
    }
    const unknown = await run(['incident', 'public', 'nope', '--update', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no incident nope');

    const services = await servicesFor(ws.env);
    try {
      const rows = await services.database.db.selectFrom('security_events').select(['details']).where('type', '=', 'ADMIN_ACTION').execute();
      const actions = rows.map((r) => JSON.parse(r.details as string) as { action: string; actor: string; target: string });
      expect(actions.filter((a) => a.target === 'inc-cli').map((a) => `${a.action} ${a.actor}`).sort()).toEqual(['incident_public_title cli', 'incident_public_title cli', 'incident_public_update cli']);
    } finally {
      await services.close();
    }
  });
});
