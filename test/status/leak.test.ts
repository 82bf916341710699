import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/shared/clock.js';
import { createIncidentRepository } from '../../src/storage/repositories/incidents.js';
import { PROTECTED_ENV, STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

const ADMIN_KEY = 'admin-key-for-status-leak-tests-0123456';
const admin = { 'x-api-key': ADMIN_KEY };
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/;
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}\b/;
// Compressed (`::`) or full eight-group IPv6; times such as 10:00:00 are neither.
const IPV6 = /[0-9a-f]{0,4}::[0-9a-f]{1,4}|[0-9a-f]{1,4}::|\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b/i;

describe('the public status page leaks nothing internal', () => {
  let t: TestApp;
  const clock = manualClock(Date.parse('2026-11-20T12:00:00Z'));
  const secrets: string[] = [];
  let html = '';
  let jsonText = '';

  beforeAll(async () => {
    t = await makeTestApp({ ...PROTECTED_ENV, RATE_LIMIT_ENABLED: 'false', ADMIN_API_KEY: ADMIN_KEY }, { clock });
    const { app, services } = t;
    await services.auth.createUser({ email: 'alice.internal@example.com', password: STRONG_PASSWORD, role: 'admin', name: 'Alice Secretname' }, {});
    await services.auth.createUser({ email: 'bob@corp.example', password: STRONG_PASSWORD, role: 'user', name: 'Bob Hiddenname' }, {});
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '192.0.2.10', payload: { email: 'bob@corp.example', password: STRONG_PASSWORD } });
    for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '2001:db8:dead:beef::42', payload: { email: 'alice.internal@example.com', password: `nope-${i}` } });
    // A brute force from one address: an alert labelled with it, and a P1 incident titled with it.
    for (let i = 0; i < 60; i++) await app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '203.0.113.66', payload: { email: 'victim@example.com', password: `wrong-password-${i}` } });
    clock.advance(15_000);
    const changes = await services.alerting!.tick();
    expect(changes.map((c) => c.alert.rule)).toContain('BruteForceAttackDetected');
    await services.securityEvents.store.flush();

    const incidents = (await app.inject({ url: '/api/v1/admin/incidents', headers: admin })).json().incidents as { id: string; title: string }[];
    expect(incidents).toHaveLength(1);
    const brute = incidents[0]!;
    expect(brute.title).toContain('203.0.113.66');
    const note = 'blocked 203.0.113.66 and 2001:db8::7, called dave@example.net about BruteForceAttackDetected';
    expect((await app.inject({ method: 'POST', url: `/api/v1/admin/incidents/${brute.id}/notes`, headers: admin, payload: { text: note } })).statusCode).toBe(200);

    // An incident with an internal title naming an alert, an address, an email and a label, made public with a title and an update.
    const internal = 'HighErrorRate: 5xx for carol@example.org from 198.51.100.23 (pod=vigil-7f9c)';
    await createIncidentRepository(services.database.db).insert({
      id: 'inc-internal-7f9c', title: internal, severity: 'P0', status: 'open', group_key: 'alertname=HighErrorRate', created_at: clock.now(),
      acknowledged_at: null, acknowledged_by: null, resolved_at: null, closed_at: null, escalations: 0, last_escalated_at: null, postmortem: null,
    });
    const secretNote = 'root cause: pod=vigil-7f9c OOM, paged erin@example.com';
    await app.inject({ method: 'POST', url: '/api/v1/admin/incidents/inc-internal-7f9c/notes', headers: admin, payload: { text: secretNote } });
    await app.inject({ method: 'PUT', url: '/api/v1/admin/incidents/inc-internal-7f9c/public', headers: admin, payload: { public_title: 'Elevated error rates' } });
    await app.inject({ method: 'POST', url: '/api/v1/admin/incidents/inc-internal-7f9c/public-updates', headers: admin, payload: { text: 'We have rolled back the release and are watching.' } });

    const alerts = services.alerting!.active();
    secrets.push(
      brute.id, brute.title, note, internal, secretNote, 'inc-internal-7f9c', 'vigil-7f9c', 'Alice Secretname', 'Bob Hiddenname', 'ADMIN_API_KEY', 'api_key:',
      ...services.alerting!.rules().map((r) => r.name),
      ...alerts.flatMap((a) => Object.values(a.labels)),
      ...alerts.map((a) => a.fingerprint),
    );
    expect(alerts.flatMap((a) => Object.values(a.labels))).toContain('203.0.113.66');
    // Whatever an earlier request may have cached, the next read is computed from all of the above.
    clock.advance(31_000);
    const page = await app.inject({ url: '/status' });
    const json = await app.inject({ url: '/status.json' });
    expect(page.statusCode).toBe(200);
    expect(json.statusCode).toBe(200);
    html = page.body;
    jsonText = json.body;
  });
  afterAll(() => t.close());

  it('no email, IPv4 or IPv6 address anywhere in the HTML or the JSON', () => {
    for (const [name, text] of [['html', html], ['json', jsonText]]) {
      expect(text, name).not.toMatch(EMAIL);
      expect(text, name).not.toMatch(IPV4);
      expect(text, name).not.toMatch(IPV6);
    }
  });

  it('no alert name, label value or fingerprint, internal title, note, incident id, user name or actor', () => {
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) {
      expect(html.includes(secret), `html holds ${secret}`).toBe(false);
      expect(jsonText.includes(secret), `json holds ${secret}`).toBe(false);
    }
  });

  it('the public title, the public update and the generic title do appear, with the derived status', () => {
    const body = JSON.parse(jsonText) as { status: string; components: { name: string; status: string }[]; incidents: { public_title: string; severity: string; updates: { text: string }[] }[] };
    expect(body.status).toBe('major_outage');
    expect(body.components).toEqual([{ name: 'API', status: 'major_outage' }, { name: 'Authentication', status: 'degraded' }, { name: 'Database', status: 'operational' }]);
    expect(body.incidents.map((i) => [i.public_title, i.severity, i.updates.map((u) => u.text)])).toEqual([
      ['Service disruption', 'P1', []],
      ['Elevated error rates', 'P0', ['We have rolled back the release and are watching.']],
    ]);
    for (const text of ['Elevated error rates', 'We have rolled back the release and are watching.', 'Service disruption', 'Major outage']) expect(html).toContain(text);
  });
});
