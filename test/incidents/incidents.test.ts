import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/shared/clock.js';
import { PROTECTED_ENV } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { within } from '../support/wait.js';
import { httpSink } from '../alerting/http-sink.js';

const ADMIN_KEY = 'admin-key-for-incident-tests-0123456789';
const admin = { 'x-api-key': ADMIN_KEY };

// One webhook sink for the file; each test's app is closed after it.
let sink: Awaited<ReturnType<typeof httpSink>>;
let t: TestApp | undefined;
beforeAll(async () => {
  sink = await httpSink();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
});
afterAll(() => sink.close());

describe('end to end: brute force → alert → incident → webhook', () => {
  it('60 wrong passwords from one IP fire BruteForceAttackDetected, open a P1 incident and POST the Alertmanager payload', async () => {
    const clock = manualClock(Date.now());
    t = await makeTestApp({ ...PROTECTED_ENV, RATE_LIMIT_ENABLED: 'false', ADMIN_API_KEY: ADMIN_KEY, ALERT_WEBHOOK_URL: `${sink.url}/alerts`, ALERT_GROUP_WAIT: '0', ALERT_EXTERNAL_URL: 'https://vigil.example.com' }, { clock });
    const { app, services } = t;
    for (let i = 0; i < 60; i++) {
      await app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '203.0.113.66', payload: { email: 'victim@example.com', password: `wrong-password-${i}` } });
    }
    clock.advance(15_000);
    const changes = await services.alerting!.tick();
    expect(changes.map((c) => [c.alert.rule, c.alert.state, c.alert.labels.ip])).toContainEqual(['BruteForceAttackDetected', 'firing', '203.0.113.66']);
    await services.alerting!.outbox.drain();

    const posted = sink.received.find((r) => r.path === '/alerts')!;
    expect(posted).toBeDefined();
    const body = posted.body as { version: string; status: string; receiver: string; alerts: { labels: Record<string, string>; annotations: Record<string, string>; status: string }[] };
    expect(body).toMatchObject({ version: '4', status: 'firing', receiver: 'webhook', groupLabels: { alertname: 'BruteForceAttackDetected' }, externalURL: 'https://vigil.example.com' });
    expect(body.alerts[0]!.labels).toMatchObject({ alertname: 'BruteForceAttackDetected', severity: 'critical', category: 'security', ip: '203.0.113.66' });
    expect(body.alerts[0]!.annotations.runbook_url).toBe('https://vigil.example.com/runbooks/brute-force-attack');

    const list = await app.inject({ method: 'GET', url: '/api/v1/admin/incidents', headers: admin });
    expect(list.statusCode).toBe(200);
    const [incident] = list.json().incidents;
    expect(incident).toMatchObject({ severity: 'P1', status: 'open', title: 'Brute-force attack from 203.0.113.66' });

    const active = await app.inject({ method: 'GET', url: '/api/v1/admin/alerts', headers: admin });
    expect(active.json().alerts.map((a: { rule: string }) => a.rule)).toContain('BruteForceAttackDetected');

    // Actions taken while it is open go on its timeline: a block, emergency mode on and off.
    expect((await app.inject({ method: 'POST', url: '/api/v1/admin/ip-blocks', headers: admin, payload: { target: '198.51.100.0/24', reason: 'attack source' } })).statusCode).toBe(201);
    expect((await app.inject({ method: 'PUT', url: '/api/v1/admin/emergency', headers: admin, payload: { enabled: true } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'PUT', url: '/api/v1/admin/emergency', headers: admin, payload: { enabled: false } })).statusCode).toBe(200);
    const actions = async () =>
      ((await app.inject({ method: 'GET', url: `/api/v1/admin/incidents/${incident.id}`, headers: admin })).json().timeline as { kind: string; actor: string; text: string }[])
        .filter((e) => e.kind === 'action');
    await within(2000, async () => (await actions()).length === 3);
    expect((await actions()).map((e) => [e.actor, e.text])).toEqual([
      ['vigil', expect.stringMatching(/^IP 198\.51\.100\.0\/24 blocked until .* \(manual: attack source\)$/)],
      ['vigil', 'emergency auth mode on (admin_api)'],
      ['vigil', 'emergency auth mode off (admin_api)'],
    ]);
  });
});

describe('incident lifecycle, escalation, MTTA/MTTR', () => {
  it('open → escalated after the P0 target (15 min), up to INCIDENT_ESCALATION_MAX → acknowledged → resolved → closed with a postmortem', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 7, 12));
    let dbUp = true;
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY, ALERT_WEBHOOK_URL: `${sink.url}/hook`, ALERT_GROUP_WAIT: '0', INCIDENT_ESCALATION_MAX: '2' }, { clock });
    const { app, services } = t;
    // The database probe is the signal; make it report down.
    const health = services.health;
    const original = health.snapshot.bind(health);
    health.snapshot = () => {
      const s = original();
      return { ...s, services: { ...s.services, database: { status: dbUp ? 'connected' : 'disconnected' } } };
    };
    dbUp = false;
    await services.alerting!.tick();
    clock.advance(30_000);
    await services.alerting!.tick();
    const [incident] = await services.incidents!.list({ limit: 10 });
    expect(incident).toMatchObject({ severity: 'P0', status: 'open', escalations: 0 });
    const openedAt = incident!.created_at;

    clock.advance(14 * 60_000);
    await services.alerting!.tick();
    expect((await services.incidents!.get(incident!.id))!.incident.escalations).toBe(0);
    clock.advance(60_000);
    await services.alerting!.tick();
    expect((await services.incidents!.get(incident!.id))!.incident.escalations).toBe(1);
    clock.advance(15 * 60_000);
    await services.alerting!.tick();
    clock.advance(15 * 60_000);
    await services.alerting!.tick();
    expect((await services.incidents!.get(incident!.id))!.incident.escalations).toBe(2);
    await services.alerting!.outbox.drain();
    const escalations = sink.received.filter((r) => (r.body as { groupKey: string }).groupKey.includes('incident='));
    expect(escalations).toHaveLength(2);

    const ack = await app.inject({ method: 'POST', url: `/api/v1/admin/incidents/${incident!.id}/ack`, headers: admin });
    expect(ack.json()).toMatchObject({ status: 'acknowledged', acknowledged_by: 'api_key:ADMIN_API_KEY' });
    expect(t.events.filter((e) => e.type === 'ADMIN_ACTION').map((e) => e.details)).toContainEqual({ action: 'incident_ack', target: incident!.id, actor: 'api_key:ADMIN_API_KEY' });
    const again = await app.inject({ method: 'POST', url: `/api/v1/admin/incidents/${incident!.id}/ack`, headers: admin });
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');

    dbUp = true;
    clock.advance(10 * 60_000);
    await services.alerting!.tick();
    await app.inject({ method: 'POST', url: `/api/v1/admin/incidents/${incident!.id}/notes`, headers: admin, payload: { text: 'disk full on the database host' } });
    const resolved = await app.inject({ method: 'POST', url: `/api/v1/admin/incidents/${incident!.id}/resolve`, headers: admin, payload: { text: 'freed space' } });
    expect(resolved.json().status).toBe('resolved');
    const pm = { summary: 'Database down', impact: 'Logins failed for 56 min', root_cause: 'Disk full', contributing_factors: ['No disk alert'], resolution: 'Freed space', action_items: ['Alert on disk'] };
    const closed = await app.inject({ method: 'POST', url: `/api/v1/admin/incidents/${incident!.id}/close`, headers: admin, payload: { postmortem: pm } });
    expect(closed.json().status).toBe('closed');

    const report = await app.inject({ method: 'GET', url: `/api/v1/admin/incidents/${incident!.id}/report`, headers: admin });
    expect(report.headers['content-type']).toContain('text/markdown');
    for (const text of ['# Postmortem:', '## Root cause', 'Disk full', '**escalated**', '**acknowledged**', 'alert_resolved', 'disk full on the database host', '- Alert on disk']) expect(report.body).toContain(text);

    const stats = await services.incidents!.stats(0);
    const p0 = stats.find((s) => s.severity === 'P0')!;
    const found = (await services.incidents!.get(incident!.id))!.incident;
    expect(p0).toEqual({ severity: 'P0', count: 1, mtta_seconds: (found.acknowledged_at! - openedAt) / 1000, mttr_seconds: (found.resolved_at! - openedAt) / 1000 });
    const metrics = await services.metrics!.scrape();
    expect(metrics).toContain(`vigil_incident_mtta_seconds{severity="P0"} ${(found.acknowledged_at! - openedAt) / 1000}`);
  });

  it('bad input to the admin routes is a problem+json 4xx', async () => {
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY, ALERT_WEBHOOK_URL: `${sink.url}/hook` });
    const cases = [
      { method: 'POST', url: '/api/v1/admin/alerts/silences', payload: { matchers: ['not a matcher'], duration: '1h', comment: 'x' }, status: 400 },
      { method: 'POST', url: '/api/v1/admin/alerts/silences', payload: { matchers: ['alertname=X'], duration: 'forever', comment: 'x' }, status: 400 },
      { method: 'POST', url: '/api/v1/admin/alerts/silences', payload: { matchers: ['ip=~"(unclosed"'], duration: '1h', comment: 'x' }, status: 400 },
      { method: 'DELETE', url: '/api/v1/admin/alerts/silences/nope', status: 404 },
      { method: 'POST', url: '/api/v1/admin/alerts/test', payload: { receiver: 'pagerduty' }, status: 404 },
      { method: 'GET', url: '/api/v1/admin/alerts/outbox?status=lost', status: 400 },
      { method: 'GET', url: '/api/v1/admin/incidents/none', status: 404 },
      { method: 'POST', url: '/api/v1/admin/incidents/none/close', payload: { postmortem: { summary: 'x' } }, status: 400 },
      { method: 'POST', url: '/api/v1/admin/incidents/none/notes', payload: { text: '' }, status: 400 },
    ] as const;
    for (const c of cases) {
      const r = await t.app.inject({ method: c.method, url: c.url, headers: admin, ...('payload' in c ? { payload: c.payload } : {}) });
      expect([c.url, r.statusCode]).toEqual([c.url, c.status]);
      expect(r.headers['content-type']).toContain('application/problem+json');
    }
    const unauth = await t.app.inject({ method: 'GET', url: '/api/v1/admin/alerts' });
    expect(unauth.statusCode).toBe(401);
    // A silence made and ended through the API is recorded as ADMIN_ACTION.
    const made = await t.app.inject({ method: 'POST', url: '/api/v1/admin/alerts/silences', headers: admin, payload: { matchers: ['alertname=HighMemoryUsage'], duration: '2h', comment: 'deploy' } });
    expect(made.statusCode).toBe(201);
    const ended = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/alerts/silences/${made.json().id}`, headers: admin });
    expect(ended.json()).toEqual({ expired: true });
    expect(t.events.filter((e) => e.type === 'ADMIN_ACTION').map((e) => (e.details as { action: string }).action)).toEqual(['alert_silence', 'alert_unsilence']);
    const test = await t.app.inject({ method: 'POST', url: '/api/v1/admin/alerts/test', headers: admin, payload: { receiver: 'webhook' } });
    expect(test.statusCode).toBe(202);
    await t.services.alerting!.outbox.drain();
    expect(sink.received.some((r) => r.headers['idempotency-key'] === test.json().idempotency_key)).toBe(true);
  });
});
