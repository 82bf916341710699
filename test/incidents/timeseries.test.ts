import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpInterval } from '../../src/alerting/signals/index.js';
import { createSloService, type SloService } from '../../src/incidents/slo.js';
import { p95Ms } from '../../src/incidents/timeseries.js';
import { DEFAULT_SLO_TARGETS } from '../../src/config/alerting-parsers.js';
import { manualClock } from '../../src/shared/clock.js';
import { migrateToLatest, type Database } from '../../src/storage/index.js';
import { createSloRepository } from '../../src/storage/repositories/alerting.js';
import pino from 'pino';
import { STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { BACKENDS } from '../support/backends.js';

const HOUR = Date.parse('2026-11-02T10:00:00Z');
const ZERO: HttpInterval = { requests: 0, errors5xx: 0, errors4xx: 0, slow500: 0, slow1000: 0, registrations: 0, registrationAttempts: 0, loginSuccess: 0, loginFailure: 0, tokenSuccess: 0, tokenFailure: 0 };
/** `n` requests: `fast` within 5 ms, the rest between 0.5 s and 1 s (cumulative buckets as the histogram gives them). */
const interval = (n: number, fast: number, more: Partial<HttpInterval> = {}): HttpInterval => ({
  ...ZERO, requests: n, slow500: n - fast,
  latency: { 0.005: fast, 0.01: fast, 0.025: fast, 0.05: fast, 0.1: fast, 0.25: fast, 0.5: fast, 1: n, 2.5: n, 5: n },
  ...more,
});
type Point = { t: string; requests: number; errors_5xx: number; error_rate: number | null; p95_ms: number | null; login_failures: number };

describe('p95 from the summed histogram buckets', () => {
  const bucket = (requests: number, le: number[]) => ({ requests, ...Object.fromEntries([5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000].map((ms, i) => [`le_${ms}ms`, le[i] ?? requests])) }) as Parameters<typeof p95Ms>[0];
  it('interpolates within the bucket holding the rank; null without requests; 5000 ms above the last bound', () => {
    expect(p95Ms(bucket(0, []))).toBeNull();
    // 100 requests: 90 within 100 ms, all within 250 ms: rank 95 is half-way in (100, 250].
    expect(p95Ms(bucket(100, [0, 0, 0, 0, 90, 100]))).toBe(175);
    // Everything slower than 5 s: the histogram cannot say more than its last bound.
    expect(p95Ms(bucket(10, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(5000);
  });
});

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`time series over slo_minutes on ${backend.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    const clock = manualClock(HOUR + 59 * 60_000 + 30_000);
    const slo = (instanceId: string): SloService => createSloService({ repo: createSloRepository(database.db), clock, targets: DEFAULT_SLO_TARGETS, instanceId, logger: pino({ level: 'silent' }) });
    beforeAll(async () => {
      ({ database, drop } = await backend.open());
      await migrateToLatest(database.db);
      const a = slo('a');
      const b = slo('b');
      // Minute 10:00 on two instances; the slow requests are all on instance a.
      await a.record(HOUR, interval(100, 94, { errors5xx: 2, loginFailure: 3 }));
      await b.record(HOUR + 20_000, interval(100, 100, { loginFailure: 1 }));
      // Two intervals into minute 10:30 of instance a add up.
      await a.record(HOUR + 30 * 60_000, interval(10, 10));
      await a.record(HOUR + 30 * 60_000 + 15_000, interval(30, 30, { errors5xx: 3 }));
      // The minute now is in (10:59), and one before the 1h window (09:59).
      await a.record(HOUR + 59 * 60_000 + 5_000, interval(4, 4));
      await a.record(HOUR - 60_000, interval(1000, 0));
    });
    afterAll(async () => {
      await database.close();
      await drop();
    });

    it('1h: 60 one-minute buckets ending with the current one, instances summed, empty minutes zero', async () => {
      const s = await slo('a').timeseries('1h');
      expect(s).toMatchObject({ window: '1h', bucket_seconds: 60, from: '2026-11-02T10:00:00.000Z', to: '2026-11-02T11:00:00.000Z' });
      const points = s.buckets as Point[];
      expect(points).toHaveLength(60);
      // 200 requests, 6 slow: the p95 of the minute is within 5 ms (a max of the instances' p95s would say ~580 ms).
      expect(points[0]).toEqual({ t: '2026-11-02T10:00:00.000Z', requests: 200, errors_5xx: 2, error_rate: 0.01, p95_ms: 4.9, login_failures: 4 });
      expect(points[1]).toEqual({ t: '2026-11-02T10:01:00.000Z', requests: 0, errors_5xx: 0, error_rate: null, p95_ms: null, login_failures: 0 });
      expect(points[30]).toMatchObject({ requests: 40, errors_5xx: 3, error_rate: 0.075 });
      expect(points[59]).toMatchObject({ t: '2026-11-02T10:59:00.000Z', requests: 4 });
      expect(points.reduce((n, p) => n + p.requests, 0)).toBe(244);
    });

    it('24h: 96 buckets of 15 minutes; a bucket merges its minutes before taking the p95', async () => {
      const s = await slo('a').timeseries('24h');
      const points = s.buckets as Point[];
      expect(points).toHaveLength(96);
      expect(s).toMatchObject({ bucket_seconds: 900, to: '2026-11-02T11:00:00.000Z', from: '2026-11-01T11:00:00.000Z' });
      const at = (iso: string) => points.find((p) => p.t === iso)!;
      // 09:45–10:00 holds the 1000 slow requests of 09:59: p95 between 0.5 and 1 s.
      expect(at('2026-11-02T09:45:00.000Z')).toMatchObject({ requests: 1000, p95_ms: 975 });
      expect(at('2026-11-02T10:00:00.000Z')).toMatchObject({ requests: 200, p95_ms: 4.9, login_failures: 4 });
      expect(at('2026-11-02T10:30:00.000Z')).toMatchObject({ requests: 40, p95_ms: 4.75 });
      expect(at('2026-11-02T10:45:00.000Z')).toMatchObject({ requests: 4 });
    });

    it('series: per-day sums (UTC days) for the status page', async () => {
      const days = await slo('a').series(HOUR - 86_400_000, HOUR + 86_400_000, 86_400_000);
      expect(days.map((d) => [new Date(d.t).toISOString(), d.requests, d.errors_5xx])).toEqual([['2026-11-02T00:00:00.000Z', 1244, 5]]);
    });
  });
}

describe('GET /api/v1/admin/timeseries', () => {
  let t: TestApp;
  const clock = manualClock(Date.parse('2026-11-02T10:00:10Z'));
  beforeAll(async () => {
    t = await makeTestApp({ ADMIN_API_KEY: 'admin-key-for-timeseries-tests-0123456' }, { clock });
  });
  afterAll(() => t.close());
  const admin = { 'x-api-key': 'admin-key-for-timeseries-tests-0123456' };

  it('admin only; window 1h or 24h, anything else a 400', async () => {
    expect((await t.app.inject({ url: '/api/v1/admin/timeseries' })).statusCode).toBe(401);
    await t.services.auth.createUser({ email: 'plain@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'plain@example.com', password: STRONG_PASSWORD } });
    expect((await t.app.inject({ url: '/api/v1/admin/timeseries', headers: { authorization: `Bearer ${login.json().access_token}` } })).statusCode).toBe(403);
    for (const bad of ['7d', '1d', '', 'x']) {
      const res = await t.app.inject({ url: `/api/v1/admin/timeseries?window=${bad}`, headers: admin });
      expect(res.statusCode, bad).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('real traffic, sampled by the alert evaluation, shows in the current minute with a p95 and the failed logins', async () => {
    for (let i = 0; i < 3; i++) await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'plain@example.com', password: 'wrong-password-123' } });
    for (let i = 0; i < 5; i++) await t.app.inject({ url: '/health' });
    clock.advance(15_000);
    await t.services.alerting!.tick();
    // The minute holds the histogram's cumulative buckets: every request within 5 s, fewer within 5 ms.
    const [row] = (await t.services.database.db.selectFrom('slo_minutes' as never).selectAll().execute()) as unknown as Record<string, number>[];
    expect(Number(row!.le_5000ms)).toBe(Number(row!.requests));
    expect(Number(row!.le_5ms)).toBeLessThanOrEqual(Number(row!.le_10ms));
    expect(Number(row!.requests)).toBeGreaterThanOrEqual(8);
    const res = await t.app.inject({ url: '/api/v1/admin/timeseries?window=1h', headers: admin });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { buckets: Point[] };
    const now = body.buckets.at(-1)!;
    expect(now.t).toBe('2026-11-02T10:00:00.000Z');
    // The requests of the first test and these (the timeseries reads themselves are counted after they answer).
    expect(now.requests).toBeGreaterThanOrEqual(8);
    expect(now.login_failures).toBe(3);
    expect(now.p95_ms).toBeGreaterThan(0);
    expect(now.p95_ms).toBeLessThanOrEqual(5000);
    const day = (await t.app.inject({ url: '/api/v1/admin/timeseries?window=24h', headers: admin })).json() as { buckets: Point[] };
    expect(day.buckets).toHaveLength(96);
    expect(day.buckets.at(-1)!.requests).toBe(now.requests);
  });
});
