import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tailEvents } from '../../src/cli/events.js';
import { loadConfig } from '../../src/config/index.js';
import type { SecurityEvent } from '../../src/security-monitoring/events.js';
import { createServices, type Services } from '../../src/services.js';
import { tempWorkspace, vigil } from '../cli/harness.js';

const T0 = Date.UTC(2030, 0, 1);
const ev = (i: number, type: 'LOGIN_FAILED' | 'ADMIN_ACTION' = 'LOGIN_FAILED'): SecurityEvent =>
  type === 'LOGIN_FAILED'
    ? { type, time: T0 + i * 1000, severity: 'low', ip: '198.51.100.1', user_id: `u-${i}`, request_id: `r-${i}`, details: { email: `n${i}@example.com`, reason: 'wrong_password' } }
    : { type, time: T0 + i * 1000, severity: 'medium', details: { action: `act-${i}` } };

describe('vigil events tail', () => {
  const ws = tempWorkspace();
  let services: Services;

  beforeAll(async () => {
    services = await createServices(loadConfig(ws.env), { migrate: true });
    for (let i = 0; i < 30; i++) services.securityEvents.store.record(ev(i, i % 3 === 0 ? 'ADMIN_ACTION' : 'LOGIN_FAILED'));
    await services.securityEvents.store.flush();
  });
  afterAll(async () => {
    await services?.close();
    ws.remove();
  });

  it('prints the most recent events, oldest first', async () => {
    const r = await vigil(['events', 'tail', '--limit', '5'], ws.env, ws.dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^2030-01-01T00:00:25\.000Z {2}low {7}LOGIN_FAILED {12}ip=198\.51\.100\.1 user=u-25 request=r-25 {2}\{"email":"n25@example\.com","reason":"wrong_password"\}$/);
    expect(lines[4]).toContain('2030-01-01T00:00:29.000Z');
  });

  it('filters by type, and prints JSON lines with --json', async () => {
    const r = await vigil(['events', 'tail', '--type', 'ADMIN_ACTION', '--json', '--limit', '3'], ws.env, ws.dir);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((e) => e.details)).toEqual([{ action: 'act-21' }, { action: 'act-24' }, { action: 'act-27' }]);
    expect(rows[0]).toEqual({ id: expect.any(Number), time: '2030-01-01T00:00:21.000Z', type: 'ADMIN_ACTION', severity: 'medium', ip: null, user_id: null, request_id: null, details: { action: 'act-21' } });
  });

  it('refuses an unknown type or a bad limit with exit 2', async () => {
    const bad = await vigil(['events', 'tail', '--type', 'LOGIN_FAILED,NOPE'], ws.env, ws.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown event type NOPE');
    expect((await vigil(['events', 'tail', '--limit', '0'], ws.env, ws.dir)).code).toBe(2);
    expect((await vigil(['events', 'tail', '--limit', '1001'], ws.env, ws.dir)).code).toBe(2);
  });

  it('--follow prints each new event once, in id order, until stopped', async () => {
    let out = '';
    const stop = new AbortController();
    const done = tailEvents(services.securityEvents, { types: ['LOGIN_FAILED'], limit: 2, follow: true, json: true, intervalMs: 20 }, { write: (s: string) => (out += s) }, { write: () => true }, stop.signal);
    const ids = () => out.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { request_id: string | null; details: { email?: string } }).details.email);
    await vi.waitFor(() => expect(ids()).toHaveLength(2));
    for (let i = 100; i < 105; i++) services.securityEvents.store.record(ev(i, i % 2 === 0 ? 'LOGIN_FAILED' : 'ADMIN_ACTION'));
    await services.securityEvents.store.flush();
    await vi.waitFor(() => expect(ids()).toHaveLength(5), { timeout: 2000 });
    for (let i = 200; i < 203; i++) services.securityEvents.store.record(ev(i));
    await services.securityEvents.store.flush();
    await vi.waitFor(() => expect(ids()).toHaveLength(8), { timeout: 2000 });
    stop.abort();
    expect(await done).toBe(8);
    expect(ids()).toEqual(['n28@example.com', 'n29@example.com', 'n100@example.com', 'n102@example.com', 'n104@example.com', 'n200@example.com', 'n201@example.com', 'n202@example.com']);
  });

  it('--follow with a look-back also prints an event committed late under a lower id, and nothing twice', async () => {
    const db = services.database.db;
    const max = Number((await db.selectFrom('security_events').select((eb) => eb.fn.max('id').as('m')).executeTakeFirstOrThrow()).m);
    // A hole below the top, as a PostgreSQL transaction still open would leave.
    const hole = max - 1;
    const row = await db.selectFrom('security_events').selectAll().where('id', '=', hole).executeTakeFirstOrThrow();
    await db.deleteFrom('security_events').where('id', '=', hole).execute();

    let out = '';
    const stop = new AbortController();
    const done = tailEvents(services.securityEvents, { limit: 1, follow: true, json: true, intervalMs: 20, lookBack: 50 }, { write: (s: string) => (out += s) }, { write: () => true }, stop.signal);
    const printed = () => out.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: number }).id);
    await vi.waitFor(() => expect(printed()).toEqual([max]));
    await new Promise((r) => setTimeout(r, 60)); // polls that find nothing new print nothing
    expect(printed()).toEqual([max]);
    await db.insertInto('security_events').values({ ...row, id: hole } as never).execute(); // the late commit
    services.securityEvents.store.record(ev(300));
    await services.securityEvents.store.flush();
    await vi.waitFor(() => expect(printed()).toHaveLength(3), { timeout: 2000 });
    await new Promise((r) => setTimeout(r, 60));
    stop.abort();
    await done;
    expect(printed()).toEqual([max, hole, max + 1]);
  });
});
