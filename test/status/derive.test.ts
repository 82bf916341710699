import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { SloBucket } from '../../src/alerting/ports.js';
import type { IncidentRecord, TimelineRecord } from '../../src/incidents/ports.js';
import { manualClock } from '../../src/shared/clock.js';
import { deriveStatus, genericTitle, type StatusInputs } from '../../src/status/derive.js';
import { createStatusPage } from '../../src/status/service.js';

const NOW = Date.parse('2026-11-20T15:30:00Z');
const DAY = 86_400_000;
const CATEGORY: Record<string, string> = { HighErrorRate: 'availability', DatabaseConnectionFailure: 'database', BruteForceAttackDetected: 'security', BackupTooOld: 'maintenance' };
const healthy: StatusInputs['health'] = { status: 'healthy', database: 'connected' };
const base: StatusInputs = { now: NOW, health: healthy, incidents: [], days: [], categoryOf: (r) => CATEGORY[r] };

function open(rule: string, severity: string, more: Partial<IncidentRecord> = {}, timeline: Partial<TimelineRecord>[] = []) {
  const incident: IncidentRecord = {
    id: `id-${rule}`, title: `${rule} internal`, severity, status: 'open', group_key: `alertname=${rule}`, created_at: NOW - 600_000,
    acknowledged_at: null, acknowledged_by: null, resolved_at: null, closed_at: null, escalations: 0, last_escalated_at: null, postmortem: null, public_title: null, ...more,
  };
  return { incident, timeline: timeline.map((t, i) => ({ id: i, incident_id: incident.id, at: NOW - 300_000 + i, kind: 'note', actor: 'cli', text: '', ...t })) };
}
const components = (v: ReturnType<typeof deriveStatus>) => Object.fromEntries(v.components.map((c) => [c.name, c.status]));
const day = (t: number, requests: number, errors: number) => ({ t, requests, errors_5xx: errors }) as SloBucket;

describe('status derivation', () => {
  it('nothing wrong: operational everywhere', () => {
    const v = deriveStatus(base);
    expect(v.status).toBe('operational');
    expect(components(v)).toEqual({ API: 'operational', Authentication: 'operational', Database: 'operational' });
    expect(v.updated_at).toBe('2026-11-20T15:30:00.000Z');
  });

  it('/health degraded (Redis down) degrades the API; the database down is an outage of the database and of sign-in', () => {
    expect(components(deriveStatus({ ...base, health: { status: 'degraded', database: 'connected' } }))).toEqual({ API: 'degraded', Authentication: 'operational', Database: 'operational' });
    const down = deriveStatus({ ...base, health: { status: 'degraded', database: 'disconnected' } });
    expect(down.status).toBe('major_outage');
    expect(components(down)).toEqual({ API: 'degraded', Authentication: 'major_outage', Database: 'major_outage' });
    // Not probed yet is not a failure (as /health says).
    expect(deriveStatus({ ...base, health: { status: 'healthy', database: 'unknown' } }).status).toBe('operational');
  });

  it('open incidents raise the component their rule concerns: P0 an outage, others degraded; unknown rules the API', () => {
    const v = deriveStatus({ ...base, incidents: [open('HighErrorRate', 'P0'), open('BruteForceAttackDetected', 'P1', { status: 'acknowledged' })] });
    expect(components(v)).toEqual({ API: 'major_outage', Authentication: 'degraded', Database: 'operational' });
    expect(v.status).toBe('major_outage');
    expect(components(deriveStatus({ ...base, incidents: [open('DatabaseConnectionFailure', 'P2')] }))).toMatchObject({ Database: 'degraded', API: 'operational' });
    expect(components(deriveStatus({ ...base, incidents: [open('CustomRule', 'P3'), open('BackupTooOld', 'P1')] }))).toMatchObject({ API: 'degraded' });
    expect(deriveStatus({ ...base, incidents: [open('BruteForceAttackDetected', 'P2')] }).status).toBe('degraded');
  });

  it('a failed read of incidents or uptime degrades the database and shows what it has', () => {
    const v = deriveStatus({ ...base, incidents: undefined });
    expect(components(v).Database).toBe('degraded');
    expect(v.incidents).toEqual([]);
    expect(deriveStatus({ ...base, days: undefined }).uptime.ninety_day).toBeNull();
  });

  it('incidents: public title or the generic one from the severity, public updates only, oldest incident first', () => {
    const a = open('HighErrorRate', 'P2', { public_title: 'Slow sign-ins', created_at: NOW - 1000 }, [
      { kind: 'note', text: 'internal note' }, { kind: 'public_update', text: 'Investigating.' }, { kind: 'opened', text: 'P2 opened by HighErrorRate' }, { kind: 'public_update', text: 'Fixed, watching.' },
    ]);
    const b = open('BruteForceAttackDetected', 'P1', { status: 'acknowledged', created_at: NOW - 5000 });
    const v = deriveStatus({ ...base, incidents: [a, b] });
    expect(v.incidents).toEqual([
      { public_title: 'Service disruption', severity: 'P1', status: 'identified', started_at: new Date(NOW - 5000).toISOString(), updates: [] },
      { public_title: 'Slow sign-ins', severity: 'P2', status: 'investigating', started_at: new Date(NOW - 1000).toISOString(), updates: [
        { at: new Date(NOW - 300_000 + 1).toISOString(), text: 'Investigating.' }, { at: new Date(NOW - 300_000 + 3).toISOString(), text: 'Fixed, watching.' },
      ] },
    ]);
    expect(['P0', 'P1', 'P2', 'P3'].map(genericTitle)).toEqual(['Service disruption', 'Service disruption', 'Degraded performance', 'Minor service issue']);
  });

  it('uptime: 90 UTC days ending today, 1 − 5xx/requests per day, null without data, and over the 90 days', () => {
    const today = Date.parse('2026-11-20T00:00:00Z');
    const v = deriveStatus({ ...base, days: [day(today, 1000, 1), day(today - DAY, 400, 0), day(today - 89 * DAY, 600, 60), day(today - 90 * DAY, 5, 5)] });
    const days = v.uptime.days;
    expect(days).toHaveLength(90);
    expect(days[0]).toEqual({ date: '2026-08-23', availability: 0.9 });
    expect(days[88]).toEqual({ date: '2026-11-19', availability: 1 });
    expect(days[89]).toEqual({ date: '2026-11-20', availability: 0.999 });
    expect(days.filter((d) => d.availability === null)).toHaveLength(87);
    // (1000 + 400 + 600) requests, 61 errors: the day before the window is not counted.
    expect(v.uptime.ninety_day).toBe(Math.round((1 - 61 / 2000) * 1e6) / 1e6);
    expect(deriveStatus(base).uptime.ninety_day).toBeNull();
  });
});

describe('the status page cache', () => {
  const logger = pino({ level: 'silent' });
  it('computes at most once per 30 s, concurrent requests share one computation, and a failing read does not fail the page', async () => {
    const clock = manualClock(NOW);
    let reads = 0;
    let fail = false;
    const page = createStatusPage({
      clock, logger, health: () => ({ status: 'healthy', services: { database: { status: 'connected' }, redis: { status: 'not_configured' } } }), incidents: undefined, categoryOf: () => undefined,
      slo: {
        series: async (since, until, bucket) => {
          reads++;
          expect([since, until, bucket]).toEqual([Date.parse('2026-08-23T00:00:00Z'), clock.now() + 1, DAY]);
          if (fail) throw new Error('database is gone');
          return [day(Date.parse('2026-11-20T00:00:00Z'), 10, 1)];
        },
      },
    });
    const [a, b] = await Promise.all([page.view(), page.view()]);
    expect(reads).toBe(1);
    expect(a).toBe(b);
    expect(a.uptime.ninety_day).toBe(0.9);
    clock.advance(29_999);
    await page.view();
    expect(reads).toBe(1);
    clock.advance(1);
    fail = true;
    const degraded = await page.view();
    expect(reads).toBe(2);
    expect(degraded.components.find((c) => c.name === 'Database')!.status).toBe('degraded');
    expect(degraded.updated_at).toBe(new Date(NOW + 30_000).toISOString());
  });
});
