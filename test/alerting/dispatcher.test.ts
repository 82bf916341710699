import { describe, expect, it } from 'vitest';
import { createDispatcher, type DispatcherConfig } from '../../src/alerting/dispatcher.js';
import { parseMaintenanceWindows } from '../../src/alerting/maintenance.js';
import type { NotificationMessage } from '../../src/alerting/message.js';
import type { SilenceRepository, SilenceRecord } from '../../src/alerting/ports.js';
import { parseRoutes } from '../../src/alerting/routing.js';
import { createSilences } from '../../src/alerting/silences.js';
import type { Alert } from '../../src/alerting/types.js';
import { manualClock } from '../../src/shared/clock.js';

function memorySilences(): SilenceRepository {
  const rows: SilenceRecord[] = [];
  return {
    insert: async (r) => void rows.push(r),
    listCurrent: async (now) => rows.filter((r) => r.ends_at > now),
    expire: async (id, now) => {
      const r = rows.find((x) => x.id === id && x.ends_at > now);
      if (r) r.ends_at = now;
      return r !== undefined;
    },
  };
}

const alert = (name: string, severity: Alert['severity'], extra: Record<string, string> = {}, state: Alert['state'] = 'firing', at = 0): Alert => ({
  fingerprint: `${name}-${JSON.stringify(extra)}`, rule: name, state, severity, category: 'availability',
  labels: { alertname: name, severity, category: 'availability', ...extra }, annotations: { summary: name }, value: 1, activeAt: at, firedAt: at, resolvedAt: state === 'resolved' ? at : undefined,
});

function setup(overrides: Partial<DispatcherConfig> = {}) {
  const clock = manualClock(Date.UTC(2026, 0, 7, 12, 0)); // a Wednesday
  const sent: NotificationMessage[] = [];
  const firing: Alert[] = [];
  const silences = createSilences({ repo: memorySilences(), clock });
  const config: DispatcherConfig = {
    routes: parseRoutes('*:webhook;severity=critical:pager'),
    inhibit: [{ source: [{ name: 'alertname', op: '=', value: 'DatabaseConnectionFailure' }], target: [{ name: 'alertname', op: '=', value: 'HighErrorRate' }], equal: [] }],
    maintenance: [],
    externalUrl: 'http://vigil.test',
    groupBy: ['alertname'],
    groupWaitMs: 10_000,
    groupIntervalMs: 60_000,
    repeatIntervalMs: 3_600_000,
    ...overrides,
  };
  const d = createDispatcher({ config, clock, silences, firing: () => firing, enqueue: async (m) => void sent.push(m) });
  return { clock, sent, firing, silences, d };
}

describe('dispatcher', () => {
  it('group_wait batches alerts of one group; group_interval sends changes; repeat_interval repeats', async () => {
    const { clock, sent, d } = setup();
    d.receive(alert('SuspiciousLoginActivity', 'info', { ip: '10.0.0.1' }));
    clock.advance(5_000);
    d.receive(alert('SuspiciousLoginActivity', 'info', { ip: '10.0.0.2' }));
    await d.flush();
    expect(sent).toHaveLength(0);
    clock.advance(5_000);
    await d.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ receiver: 'webhook', status: 'firing', groupLabels: { alertname: 'SuspiciousLoginActivity' } });
    expect(sent[0]!.alerts.map((a) => a.labels.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
    // A change waits for group_interval.
    d.receive(alert('SuspiciousLoginActivity', 'info', { ip: '10.0.0.1' }, 'resolved', clock.now()));
    clock.advance(30_000);
    await d.flush();
    expect(sent).toHaveLength(1);
    clock.advance(30_000);
    await d.flush();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.alerts.map((a) => [a.labels.ip, a.status])).toEqual([['10.0.0.1', 'resolved'], ['10.0.0.2', 'firing']]);
    // Nothing changes: nothing until repeat_interval.
    for (let i = 0; i < 59; i++) {
      clock.advance(60_000);
      await d.flush();
    }
    expect(sent).toHaveLength(2);
    clock.advance(60_000);
    await d.flush();
    expect(sent).toHaveLength(3);
    expect(sent[2]!.alerts.map((a) => a.labels.ip)).toEqual(['10.0.0.2']);
  });

  it('routes by label: a critical alert goes to both receivers, a warning to the webhook only', async () => {
    const { clock, sent, d } = setup();
    d.receive(alert('HealthCheckDown', 'critical'));
    d.receive(alert('HighMemoryUsage', 'warning'));
    clock.advance(10_000);
    await d.flush();
    expect(sent.map((m) => `${m.receiver}:${m.groupLabels.alertname}`).sort()).toEqual(['pager:HealthCheckDown', 'webhook:HealthCheckDown', 'webhook:HighMemoryUsage']);
  });

  it('inhibition: a firing database failure mutes HighErrorRate', async () => {
    const { clock, sent, firing, d } = setup();
    firing.push(alert('DatabaseConnectionFailure', 'critical'));
    d.receive(alert('HighErrorRate', 'critical'));
    clock.advance(10_000);
    await d.flush();
    expect(sent).toHaveLength(0);
    expect(d.muted(alert('HighErrorRate', 'critical'))).toEqual({ by: 'inhibition' });
    firing.length = 0;
    clock.advance(60_000);
    await d.flush();
    expect(sent.map((m) => m.groupLabels.alertname)).toEqual(['HighErrorRate', 'HighErrorRate']);
  });

  it('silences mute matching alerts from start to end, and unsilencing brings them back', async () => {
    const { clock, sent, silences, d } = setup();
    const s = await silences.create({ matchers: [{ name: 'alertname', op: '=~', value: 'High.*' }], endsAt: clock.now() + 3_600_000, createdBy: 'user:1', comment: 'deploy' });
    d.receive(alert('HighMemoryUsage', 'warning'));
    clock.advance(10_000);
    await d.flush();
    expect(sent).toHaveLength(0);
    expect(d.muted(alert('HighMemoryUsage', 'warning'))).toEqual({ by: 'silence', id: s.id });
    expect(await silences.expire(s.id)).toBe(true);
    clock.advance(60_000);
    await d.flush();
    expect(sent.map((m) => m.groupLabels.alertname)).toEqual(['HighMemoryUsage']);
  });

  it('a maintenance window mutes non-critical alerts only', async () => {
    const { clock, sent, d } = setup({ maintenance: parseMaintenanceWindows('sun 02:00-04:00') });
    clock.set(Date.UTC(2026, 0, 4, 2, 30)); // Sunday 02:30 UTC
    d.receive(alert('HighMemoryUsage', 'warning'));
    d.receive(alert('HealthCheckDown', 'critical'));
    clock.advance(10_000);
    await d.flush();
    expect(sent.map((m) => `${m.receiver}:${m.groupLabels.alertname}`).sort()).toEqual(['pager:HealthCheckDown', 'webhook:HealthCheckDown']);
    clock.set(Date.UTC(2026, 0, 4, 4, 0)); // the window is over
    await d.flush();
    expect(sent.map((m) => m.groupLabels.alertname)).toContain('HighMemoryUsage');
  });
});
