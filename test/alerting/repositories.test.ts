import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, type Database } from '../../src/storage/index.js';
import { createAlertHistoryRepository, createOutboxRepository, createSilenceRepository, createSloRepository } from '../../src/storage/repositories/alerting.js';
import { BACKENDS } from '../support/backends.js';

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`alerting repositories on ${backend.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      ({ database, drop } = await backend.open());
      await migrateToLatest(database.db);
    });
    afterAll(async () => {
      await database.close();
      await drop();
    });

    it('outbox: idempotent enqueue, head-of-group claims in order, atomic against a second worker', async () => {
      const outbox = createOutboxRepository(database.db);
      const row = (key: string, group: string, at: number) => ({ idempotency_key: key, receiver: 'webhook', group_key: group, kind: 'alert', payload: '{}', created_at: at, next_attempt_at: at });
      expect(await outbox.enqueue(row('a1', 'A', 1))).toBe(true);
      expect(await outbox.enqueue(row('a1', 'A', 1))).toBe(false);
      await outbox.enqueue(row('a2', 'A', 2));
      await outbox.enqueue(row('b1', 'B', 3));
      const [first, second] = await Promise.all([outbox.claimDue(10, 1000, 10), outbox.claimDue(10, 1000, 10)]);
      const claimed = [...first, ...second].map((r) => r.idempotency_key).sort();
      expect(claimed).toEqual(['a1', 'b1']);
      // a2 waits for a1 even when a1 is rescheduled.
      const a1 = [...first, ...second].find((r) => r.idempotency_key === 'a1')!;
      await outbox.reschedule(a1.id, 1, 500, 'webhook: HTTP 503');
      expect(await outbox.claimDue(100, 1000, 10)).toEqual([]);
      const again = await outbox.claimDue(500, 1000, 10);
      expect(again.map((r) => [r.idempotency_key, r.attempts, r.last_error])).toEqual([['a1', 1, 'webhook: HTTP 503']]);
      await outbox.markSent(again[0]!.id, 2, 501);
      // b1's lease ran out (its worker died): it is claimable again, with a2.
      expect((await outbox.claimDue(2000, 1000, 10)).map((r) => r.idempotency_key)).toEqual(['a2', 'b1']);
      expect(await outbox.counts()).toEqual({ pending: 2, sent: 1, dead: 0 });
      expect(await outbox.pruneSent(502)).toBe(1);
    });

    it('silences: current ones listed, expire ends one once', async () => {
      const repo = createSilenceRepository(database.db);
      await repo.insert({ id: 's1', matchers: '[]', starts_at: 0, ends_at: 1000, created_by: 'cli', comment: 'c', created_at: 0 });
      expect((await repo.listCurrent(500)).map((s) => s.id)).toEqual(['s1']);
      expect(await repo.expire('s1', 600)).toBe(true);
      expect(await repo.expire('s1', 700)).toBe(false);
      expect(await repo.listCurrent(650)).toEqual([]);
    });

    it('history: open until resolved, listed newest first', async () => {
      const repo = createAlertHistoryRepository(database.db);
      const rec = (id: string, fp: string, at: number) => ({ id, fingerprint: fp, rule: 'R', severity: 'critical', category: 'security', labels: '{}', annotations: '{}', value: 1.5, active_at: at, fired_at: at, resolved_at: null });
      await repo.insert(rec('h1', 'f1', 10));
      await repo.insert(rec('h2', 'f2', 20));
      expect((await repo.listOpen()).map((r) => r.id)).toEqual(['h1', 'h2']);
      expect(await repo.resolve('f1', 30)).toBe(true);
      expect((await repo.listOpen()).map((r) => r.id)).toEqual(['h2']);
      expect((await repo.list({ limit: 10 })).map((r) => [r.id, r.resolved_at, r.value])).toEqual([['h2', null, 1.5], ['h1', 30, 1.5]]);
    });

    it('slo minutes: adds to a minute per instance and sums a range', async () => {
      const repo = createSloRepository(database.db);
      const m = (minute: number, instance: string, requests: number, errors: number) => ({ minute, instance, requests, errors_5xx: errors, errors_4xx: 0, slow_500: 0, slow_1000: 0, login_success: 1, login_failure: 0, registrations: 0, registration_attempts: 0, token_success: 0, token_failure: 0 });
      await repo.add(m(60_000, 'a', 10, 1));
      await repo.add(m(60_000, 'a', 5, 0));
      await repo.add(m(60_000, 'b', 5, 0));
      await repo.add(m(120_000, 'a', 100, 0));
      const t = await repo.totals(0, 120_000);
      expect(t).toMatchObject({ minutes: 1, requests: 20, errors_5xx: 1, login_success: 3 });
      expect((await repo.totals(0, 180_000)).requests).toBe(120);
    });
  });
}
