import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertHistoryRepository } from '../../src/storage/repositories/alerting.js';
import { createIncidentRepository } from '../../src/storage/repositories/incidents.js';
import { httpSink } from '../alerting/http-sink.js';
import { json, servicesFor, tempWorkspace, vigil } from './harness.js';

describe('vigil alerts and vigil incident', () => {
  const ws = tempWorkspace();
  let sink: Awaited<ReturnType<typeof httpSink>>;
  let env: typeof ws.env;
  const run = (args: string[]) => vigil(args, env, ws.dir);
  const now = Date.now();

  beforeAll(async () => {
    sink = await httpSink();
    env = { ...ws.env, ALERT_WEBHOOK_URL: `${sink.url}/hook` };
    expect((await run(['migrate'])).code).toBe(0);
    const services = await servicesFor(env);
    const db = services.database.db;
    await createAlertHistoryRepository(db).insert({
      id: 'h1', fingerprint: 'fp-high-error', rule: 'HighErrorRate', severity: 'critical', category: 'availability',
      labels: JSON.stringify({ alertname: 'HighErrorRate', severity: 'critical', category: 'availability' }), annotations: JSON.stringify({ summary: 'More than 5% of requests fail' }),
      value: 0.07, active_at: now - 180_000, fired_at: now - 60_000, resolved_at: null,
    });
    await createIncidentRepository(db).insert({
      id: 'inc-1', title: 'HighErrorRate: More than 5% of requests fail', severity: 'P1', status: 'open', group_key: 'HighErrorRate', created_at: now - 60_000,
      acknowledged_at: null, acknowledged_by: null, resolved_at: null, closed_at: null, escalations: 0, last_escalated_at: null, postmortem: null,
    });
    await services.close();
  });
  afterAll(async () => {
    await sink.close();
    ws.remove();
  });

  it('alerts list and history show the firing alert; a silence mutes it until unsilenced', async () => {
    const list = await run(['alerts', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(json<{ alerts: { rule: string; muted: string | null }[] }>(list).alerts).toEqual([expect.objectContaining({ rule: 'HighErrorRate', muted: null })]);
    expect((await run(['alerts', 'list'])).stdout).toMatch(/HighErrorRate\s+critical/);
    const history = await run(['alerts', 'history', '--since', '1d', '--json']);
    expect(json<{ alerts: { rule: string; resolved_at: string | null }[] }>(history).alerts).toEqual([expect.objectContaining({ rule: 'HighErrorRate', resolved_at: null })]);

    const silence = await run(['alerts', 'silence', 'alertname=HighErrorRate', 'severity=~crit.*', '--duration', '2h', '--comment', 'deploying a fix', '--json']);
    expect(silence.code, silence.stderr).toBe(0);
    const { id, matchers } = json<{ id: string; matchers: string[] }>(silence);
    expect(matchers).toEqual(['alertname=HighErrorRate', 'severity=~crit.*']);
    expect(json<{ alerts: { muted: string | null }[] }>(await run(['alerts', 'list', '--json'])).alerts[0]!.muted).toBe('silence');
    expect((await run(['alerts', 'unsilence', id])).code).toBe(0);
    expect(json<{ alerts: { muted: string | null }[] }>(await run(['alerts', 'list', '--json'])).alerts[0]!.muted).toBeNull();
    const again = await run(['alerts', 'unsilence', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no silence in force');
  });

  it('bad input is a usage error', async () => {
    expect((await run(['alerts', 'silence', 'alertname', '--duration', '2h', '--comment', 'x'])).code).toBe(2);
    expect((await run(['alerts', 'silence', 'alertname=X', '--duration', 'soon', '--comment', 'x'])).code).toBe(2);
    expect((await run(['alerts', 'silence', 'alertname=X', '--duration', '2h'])).code).toBe(2);
    expect((await run(['alerts', 'history', '--limit', '0'])).code).toBe(2);
    expect((await run(['incident', 'list', '--status', 'sleeping'])).code).toBe(2);
  });

  it('alerts test delivers to a real receiver, and fails for an unknown one', async () => {
    const ok = await run(['alerts', 'test', 'webhook', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(json<{ status: string }>(ok).status).toBe('sent');
    const got = sink.received.find((r) => r.path === '/hook');
    expect((got!.body as { commonLabels: Record<string, string> }).commonLabels.alertname).toBe('VigilTestNotification');
    const unknown = await run(['alerts', 'test', 'pagerduty']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('configured: webhook');
    expect(unknown.stderr).not.toContain(sink.url);
  });

  it('incident list, show, ack, note, resolve, close and report; wrong states and unknown ids fail', async () => {
    const list = await run(['incident', 'list', '--status', 'open', '--json']);
    expect(json<{ incidents: { id: string; severity: string }[] }>(list).incidents).toEqual([expect.objectContaining({ id: 'inc-1', severity: 'P1' })]);
    expect((await run(['incident', 'ack', 'inc-1'])).stdout).toBe('Incident inc-1 (P1) is acknowledged.\n');
    const twice = await run(['incident', 'ack', 'inc-1']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('not possible');
    expect((await run(['incident', 'note', 'inc-1', '--text', 'rolled back release 1.2.3'])).code).toBe(0);
    expect((await run(['incident', 'note', 'inc-1'])).code).toBe(2);
    expect((await run(['incident', 'close', 'inc-1'])).code).toBe(1);
    expect((await run(['incident', 'resolve', 'inc-1', '--text', 'rollback'])).code).toBe(0);
    const closed = await run(['incident', 'close', 'inc-1', '--json']);
    expect(json<{ status: string }>(closed).status).toBe('closed');
    const show = await run(['incident', 'show', 'inc-1', '--json']);
    const timeline = json<{ timeline: { kind: string; actor: string | null; text: string }[] }>(show).timeline;
    expect(timeline.map((t) => t.kind)).toEqual(expect.arrayContaining(['acknowledged', 'resolved', 'closed']));
    expect(timeline.some((t) => t.text.includes('rolled back release 1.2.3') && t.actor === 'cli')).toBe(true);
    expect((await run(['incident', 'show', 'inc-1'])).stdout).toContain('acknowledged');
    const report = await run(['incident', 'report', 'inc-1']);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('rolled back release 1.2.3');
    expect(report.stdout.startsWith('# ')).toBe(true);
    for (const args of [['incident', 'show', 'nope'], ['incident', 'report', 'nope'], ['incident', 'ack', 'nope']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('no incident nope');
    }
  });

  it('every mutation was recorded as ADMIN_ACTION by the cli', async () => {
    const services = await servicesFor(env);
    try {
      const rows = await services.database.db.selectFrom('security_events').select(['details']).where('type', '=', 'ADMIN_ACTION').execute();
      const actions = rows.map((r) => JSON.parse(r.details as string) as { action: string; actor: string });
      expect(actions.every((a) => a.actor === 'cli')).toBe(true);
      expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(['alert_silence', 'alert_unsilence', 'alert_test', 'incident_ack', 'incident_note', 'incident_resolve', 'incident_close']));
    } finally {
      await services.close();
    }
  });
});
