import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/shared/clock.js';
import { STATUS_CSP } from '../../src/status/html.js';
import { createIncidentRepository } from '../../src/storage/repositories/incidents.js';
import { PROTECTED_ENV } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

const ADMIN_KEY = 'admin-key-for-status-page-tests-012345';
const admin = { 'x-api-key': ADMIN_KEY };

describe('GET /status and /status.json', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('self-contained HTML without sign-in: a strict CSP with its one stylesheet by hash, no script, nothing loaded from elsewhere', async () => {
    t = await makeTestApp();
    const res = await t.app.inject({ url: '/status' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(STATUS_CSP);
    expect(STATUS_CSP).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('public, max-age=30');
    const html = res.body;
    expect(html).not.toMatch(/<script|javascript:|\son[a-z]+=|style="/i);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//i);
    expect(html.match(/<style>/g)).toHaveLength(1);
    // The hash in the policy is that of the stylesheet served.
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const { createHash } = await import('node:crypto');
    expect(STATUS_CSP).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  it('accessible and phone-readable markup: language, viewport, one h1, labelled sections, text (not only colour) for each state', async () => {
    t = await makeTestApp();
    const html = (await t.app.inject({ url: '/status' })).body;
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html.match(/<h1>/g)).toHaveLength(1);
    for (const id of ['components', 'incidents', 'uptime']) expect(html).toContain(`<section aria-labelledby="${id}"><h2 id="${id}">`);
    expect(html).toContain('<p class="banner operational" role="status">All systems operational</p>');
    for (const name of ['API', 'Authentication', 'Database']) expect(html).toContain(`<span>${name}</span><span class="state">Operational</span>`);
    expect(html).toMatch(/<div class="bars" role="img" aria-label="Daily availability, \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d: No data for the last 90 days">/);
    expect(html.match(/<tr><td>\d{4}-\d\d-\d\d<\/td>/g)).toHaveLength(90);
    // No fixed widths wider than a phone: the layout is fluid (max-width only).
    expect(html).not.toMatch(/[^-]width:\s*\d{3,}px/);
  });

  it('JSON in the documented shape; public texts are escaped in the HTML', async () => {
    const clock = manualClock(Date.parse('2026-11-20T12:00:00Z'));
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY }, { clock });
    await createIncidentRepository(t.services.database.db).insert({
      id: 'i1', title: 'internal', severity: 'P2', status: 'open', group_key: 'alertname=SlowResponseTimes', created_at: clock.now() - 60_000,
      acknowledged_at: null, acknowledged_by: null, resolved_at: null, closed_at: null, escalations: 0, last_escalated_at: null, postmortem: null,
    });
    await t.app.inject({ method: 'PUT', url: '/api/v1/admin/incidents/i1/public', headers: admin, payload: { public_title: 'Slow <b>"pages"</b> & more' } });
    await t.app.inject({ method: 'POST', url: '/api/v1/admin/incidents/i1/public-updates', headers: admin, payload: { text: "<img src=x onerror='alert(1)'>" } });
    await t.services.slo.record(clock.now() - 86_400_000, { requests: 2000, errors5xx: 1, errors4xx: 0, slow500: 0, slow1000: 0, registrations: 0, registrationAttempts: 0, loginSuccess: 0, loginFailure: 0, tokenSuccess: 0, tokenFailure: 0 });

    const json = await t.app.inject({ url: '/status.json' });
    expect(json.headers['content-type']).toContain('application/json');
    expect(json.json()).toEqual({
      status: 'degraded',
      updated_at: '2026-11-20T12:00:00.000Z',
      components: [{ name: 'API', status: 'degraded' }, { name: 'Authentication', status: 'operational' }, { name: 'Database', status: 'operational' }],
      incidents: [{ public_title: 'Slow <b>"pages"</b> & more', severity: 'P2', status: 'investigating', started_at: '2026-11-20T11:59:00.000Z', updates: [{ at: '2026-11-20T12:00:00.000Z', text: "<img src=x onerror='alert(1)'>" }] }],
      uptime: { days: expect.any(Array), ninety_day: 0.9995 },
    });
    expect(json.json().uptime.days.slice(-2)).toEqual([{ date: '2026-11-19', availability: 0.9995 }, { date: '2026-11-20', availability: null }]);

    const html = (await t.app.inject({ url: '/status' })).body;
    expect(html).toContain('<h3>Slow &lt;b&gt;&quot;pages&quot;&lt;/b&gt; &amp; more</h3>');
    expect(html).toContain('&lt;img src=x onerror=&#39;alert(1)&#39;&gt;');
    expect(html).not.toContain('<img');
    expect(html).toContain('99.950% of requests answered without a server error over the last 90 days');
  });

  it('served from a 30 s cache: a change shows once it runs out', async () => {
    const clock = manualClock(Date.parse('2026-11-20T12:00:00Z'));
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY }, { clock });
    expect((await t.app.inject({ url: '/status.json' })).json().incidents).toEqual([]);
    await createIncidentRepository(t.services.database.db).insert({
      id: 'i2', title: 'internal', severity: 'P1', status: 'open', group_key: 'alertname=HighErrorRate', created_at: clock.now(),
      acknowledged_at: null, acknowledged_by: null, resolved_at: null, closed_at: null, escalations: 0, last_escalated_at: null, postmortem: null,
    });
    clock.advance(29_000);
    expect((await t.app.inject({ url: '/status' })).body).toContain('No incidents in progress.');
    clock.advance(1_000);
    expect((await t.app.inject({ url: '/status.json' })).json().incidents).toHaveLength(1);
  });

  it('not exempt from rate limits: past RATE_LIMIT_IP a client gets 429', async () => {
    t = await makeTestApp({ ...PROTECTED_ENV, RATE_LIMIT_IP: '5' });
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await t.app.inject({ url: i % 2 ? '/status' : '/status.json', remoteAddress: '198.51.100.9' })).statusCode);
    expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(codes.slice(5)).toEqual([429, 429, 429]);
  });
});
