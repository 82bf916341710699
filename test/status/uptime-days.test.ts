import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpInterval } from '../../src/alerting/signals/index.js';
import { manualClock } from '../../src/shared/clock.js';
import { freshPostgresSchema, runPostgres } from '../support/postgres.js';
import { makeTestApp, type TestApp } from '../support/services.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const at = (iso: string) => Date.parse(iso);
const interval = (requests: number, errors5xx: number): HttpInterval => ({
  requests, errors5xx, errors4xx: 0, slow500: 0, slow1000: 0, registrations: 0, registrationAttempts: 0, loginSuccess: 0, loginFailure: 0, tokenSuccess: 0, tokenFailure: 0,
});
type Uptime = { days: { date: string; availability: number | null }[]; ninety_day: number | null };

const BACKENDS = [
  { name: 'sqlite', enabled: true, open: async () => ({ env: {}, drop: async () => undefined }) },
  { name: 'postgres', enabled: runPostgres, open: async () => { const s = await freshPostgresSchema(); return { env: { DATABASE_URL: s.url }, drop: s.drop }; } },
];

for (const backend of BACKENDS) {
  // Minutes are kept 7 days here: on 2026-11-20 whole days up to 2026-11-12 move into slo_days.
  describe.skipIf(!backend.enabled)(`status page and SLO reports over minutes and daily totals on ${backend.name}`, () => {
    const clock = manualClock(NOW);
    let t: TestApp;
    let drop: () => Promise<void>;
    const db = () => t.services.database.db as unknown as Kysely<any>;
    const uptime = async () => {
      clock.advance(31_000); // past the page's 30 s cache
      return ((await t.app.inject({ url: '/status.json' })).json() as { uptime: Uptime }).uptime;
    };
    const dayOf = (u: Uptime, date: string) => u.days.find((d) => d.date === date)?.availability;

    beforeAll(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      t = await makeTestApp({ ...opened.env, METRIC_AGGREGATE_RETENTION_DAYS: '7' }, { clock });
      await t.services.slo.record(at('2026-09-21T10:00:00Z'), interval(1000, 100)); // 60 days ago
      await t.services.slo.record(at('2026-10-31T10:00:00Z'), interval(2000, 20)); // 20 days ago
      // The day across the cutoff (2026-11-13T12:00): one minute older than 7 days, one newer.
      await t.services.slo.record(at('2026-11-13T01:00:00Z'), interval(1000, 50));
      await t.services.slo.record(at('2026-11-13T13:00:00Z'), interval(3000, 10));
      await t.services.slo.record(at('2026-11-19T10:00:00Z'), interval(500, 0));
    });
    afterAll(async () => {
      await t.close();
      await drop();
    });

    it('days older than the minutes\' retention show from slo_days; the day across the cutoff once; a late minute is added to its day once', async () => {
      const before = await uptime();
      const reportBefore = await t.services.slo.report(30 * DAY);
      expect(dayOf(before, '2026-09-21')).toBe(0.9);
      expect(dayOf(before, '2026-11-13')).toBe(0.985);
      expect(before.ninety_day).toBe(0.976); // 1 − 180 / 7500

      expect((await t.services.maintenance.run('retention-metric-aggregates', { dryRun: false })).status).toBe('succeeded');
      const minutes = (await db().selectFrom('slo_minutes').select('minute').orderBy('minute').execute()).map((r) => new Date(Number(r.minute)).toISOString());
      expect(minutes).toEqual(['2026-11-13T01:00:00.000Z', '2026-11-13T13:00:00.000Z', '2026-11-19T10:00:00.000Z']);
      const days = (await db().selectFrom('slo_days').select('day').orderBy('day').execute()).map((r) => new Date(Number(r.day)).toISOString().slice(0, 10));
      expect(days).toEqual(['2026-09-21', '2026-10-31']);

      // The same page: 2026-09-21 and 2026-10-31 now come from slo_days, the rest from minutes.
      expect(await uptime()).toEqual(before);
      const html = (await t.app.inject({ url: '/status' })).body;
      expect(html).toContain('<tr><td>2026-09-21</td><td>90.000%</td></tr>');
      expect(html).toContain('<tr><td>2026-11-13</td><td>98.500%</td></tr>');
      // A 30-day report reaches past the 7 days of minutes: 2026-10-31 from its daily total.
      const report = await t.services.slo.report(30 * DAY);
      const availability = (r: typeof report) => r.kpis.find((k) => k.name === 'availability')!;
      expect(availability(reportBefore)).toMatchObject({ total: 6500, good: 6420 });
      expect(availability(report)).toEqual(availability(reportBefore));

      // A minute written late for a day already moved: the day row and the minute, each once.
      await t.services.slo.record(at('2026-09-21T12:00:00Z'), interval(1000, 0));
      const late = await uptime();
      expect(dayOf(late, '2026-09-21')).toBe(0.95);
      expect(late.ninety_day).toBe(Math.round((1 - 180 / 8500) * 1e6) / 1e6);
      await t.services.maintenance.run('retention-metric-aggregates', { dryRun: false });
      expect(await uptime()).toEqual(late);
    });
  });
}
