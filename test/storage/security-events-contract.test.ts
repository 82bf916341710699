import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/security-monitoring/events.js';
import type { SecurityEventRepository, StoredSecurityEvent } from '../../src/security-monitoring/ports.js';
import { createRepositories, migrateToLatest, type Database } from '../../src/storage/index.js';
import { ROWS_PER_STATEMENT } from '../../src/storage/repositories/security-events.js';
import { BACKENDS } from '../support/backends.js';

/** The security event repository's contract, on SQLite and PostgreSQL (a fresh schema per run). */

const T0 = 1_800_000_000_000;

function failed(i: number, overrides: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    type: 'LOGIN_FAILED',
    time: T0 + i,
    severity: 'low',
    ip: `192.0.2.${i % 4}`,
    user_id: `u-${i % 3}`,
    request_id: `req-${i}`,
    details: { email: `user${i}@example.com`, reason: 'wrong_password' },
    ...overrides,
  } as SecurityEvent;
}

/** What the repository should give back for an event it stored (ids aside). */
const stored = (e: SecurityEvent) => ({ time: e.time, type: e.type, severity: e.severity, ip: e.ip ?? null, user_id: e.user_id ?? null, request_id: e.request_id ?? null, details: e.details });
const withoutId = ({ id: _id, ...rest }: StoredSecurityEvent) => rest;

/** Every page of a newest-first listing, walking `before` from one page's last event. */
async function allPages(repo: SecurityEventRepository, filter: Parameters<SecurityEventRepository['query']>[0]): Promise<StoredSecurityEvent[][]> {
  const pages: StoredSecurityEvent[][] = [];
  let before = filter.before;
  for (;;) {
    const page = await repo.query({ ...filter, before });
    if (page.length === 0) return pages;
    pages.push(page);
    const last = page[page.length - 1]!;
    before = { time: last.time, id: last.id };
  }
}

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`security events contract: ${backend.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    let repo: SecurityEventRepository;

    beforeAll(async () => {
      ({ database, drop } = await backend.open());
      await migrateToLatest(database.db);
      repo = createRepositories(database).securityEvents;
    });

    afterAll(async () => {
      await database?.close();
      await drop?.();
    });

    beforeEach(async () => {
      await database.db.deleteFrom('security_events').execute();
    });

    it('stores every field and reads it back, ids increasing in insert order', async () => {
      const events: SecurityEvent[] = [
        failed(1),
        { type: 'SUSPICIOUS_ACTIVITY', time: T0 + 2, severity: 'high', ip: '2001:db8::1', details: { kind: 'credential_stuffing', evidence: { accounts: 12, window: '10m', blocked: true, note: null }, response: 'block_ip' } },
        { type: 'EMERGENCY_MODE_CHANGED', time: T0 + 3, severity: 'critical', details: { enabled: true, source: 'cli' } },
        { type: 'ADMIN_ACTION', time: T0 + 4, severity: 'medium', user_id: 'admin-1', request_id: 'r-4', details: { action: "O'Brien; DROP TABLE security_events;--", target: 'ünïcødé ✓ 🔐' } },
      ];
      await repo.insertMany(events);
      const byId = await repo.after(0, { limit: 10 });
      expect(byId.map(withoutId)).toEqual(events.map(stored));
      const ids = byId.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(4);
      expect(ids.every((id) => Number.isSafeInteger(id) && id > 0)).toBe(true);
      expect(await repo.maxId()).toBe(ids[3]);
      expect(await repo.count()).toBe(4);
    });

    it('an empty batch is a no-op, and an empty log has max id 0', async () => {
      await repo.insertMany([]);
      expect(await repo.count()).toBe(0);
      expect(await repo.maxId()).toBe(0);
      expect(await repo.query({ limit: 10 })).toEqual([]);
    });

    it('stores NUL characters a client can send (PostgreSQL text refuses them raw)', async () => {
      await repo.insertMany([failed(1, { request_id: 'a\0b', ip: '\0', details: { email: 'x\0@example.com', reason: 'unknown_email' } })]);
      const [e] = await repo.query({ limit: 1 });
      expect(e?.request_id).toBe('a\uFFFDb');
      expect(e?.ip).toBe('\uFFFD');
      expect(e?.details).toEqual({ email: 'x\0@example.com', reason: 'unknown_email' });
    });

    it(`a batch larger than one statement (${ROWS_PER_STATEMENT} rows, and past SQLite's 32766 parameters) is stored whole`, async () => {
      const n = ROWS_PER_STATEMENT * 5 + 7;
      await repo.insertMany(Array.from({ length: n }, (_, i) => failed(i)));
      expect(await repo.count()).toBe(n);
      const ids = (await repo.after(0, { limit: n })).map((e) => e.id);
      expect(new Set(ids).size).toBe(n);
    });

    it('a batch is atomic: one bad row in a later statement stores none of it', async () => {
      const batch = Array.from({ length: ROWS_PER_STATEMENT + 10 }, (_, i) => failed(i));
      batch[ROWS_PER_STATEMENT + 5] = failed(0, { type: null as never });
      await expect(repo.insertMany(batch)).rejects.toThrow();
      expect(await repo.count()).toBe(0);
    });

    it('concurrent batches are all stored with distinct ids', async () => {
      await Promise.all(Array.from({ length: 8 }, (_, b) => repo.insertMany(Array.from({ length: 300 }, (_, i) => failed(b * 1000 + i)))));
      expect(await repo.count()).toBe(2400);
      const ids = (await repo.after(0, { limit: 5000 })).map((e) => e.id);
      expect(new Set(ids).size).toBe(2400);
    });

    describe('query', () => {
      // 60 events, times with ties (every 3 share a millisecond), 4 IPs, 3 users, 2 types.
      const events = Array.from({ length: 60 }, (_, i) =>
        i % 5 === 0
          ? failed(i, { type: 'LOGIN_SUCCEEDED', severity: 'info', time: T0 + Math.floor(i / 3), details: { email: `user${i}@example.com` } })
          : failed(i, { time: T0 + Math.floor(i / 3) }),
      );
      const seed = () => repo.insertMany(events);

      it('lists newest first by time, then id', async () => {
        await seed();
        const all = await repo.query({ limit: 100 });
        expect(all).toHaveLength(60);
        for (let i = 1; i < all.length; i++) {
          const [a, b] = [all[i - 1]!, all[i]!];
          expect(a.time > b.time || (a.time === b.time && a.id > b.id)).toBe(true);
        }
      });

      it('filters by types, ip, user, since (inclusive) and until (exclusive), combined', async () => {
        await seed();
        const match = (f: (e: SecurityEvent) => boolean) => events.filter(f).length;
        expect(await repo.count({ types: ['LOGIN_SUCCEEDED'] })).toBe(12);
        expect((await repo.query({ types: ['LOGIN_SUCCEEDED'], limit: 100 })).every((e) => e.type === 'LOGIN_SUCCEEDED')).toBe(true);
        expect(await repo.count({ types: ['LOGIN_SUCCEEDED', 'LOGIN_FAILED'] })).toBe(60);
        expect(await repo.count({ types: ['IP_BLOCKED'] })).toBe(0);
        expect(await repo.count({ types: [] })).toBe(0);
        expect(await repo.query({ types: [], limit: 10 })).toEqual([]);
        expect(await repo.count({ ip: '192.0.2.1' })).toBe(match((e) => e.ip === '192.0.2.1'));
        expect(await repo.count({ user_id: 'u-2' })).toBe(match((e) => e.user_id === 'u-2'));
        expect(await repo.count({ since: T0 + 10 })).toBe(match((e) => e.time >= T0 + 10));
        expect(await repo.count({ until: T0 + 10 })).toBe(match((e) => e.time < T0 + 10));
        expect(await repo.count({ since: T0 + 5, until: T0 + 6 })).toBe(3);
        const combined = await repo.query({ types: ['LOGIN_FAILED'], ip: '192.0.2.3', user_id: 'u-1', since: T0 + 2, until: T0 + 18, limit: 100 });
        const expected = events.filter((e) => e.type === 'LOGIN_FAILED' && e.ip === '192.0.2.3' && e.user_id === 'u-1' && e.time >= T0 + 2 && e.time < T0 + 18);
        expect(combined.map((e) => e.request_id).sort()).toEqual(expected.map((e) => e.request_id).sort());
        expect(combined.length).toBeGreaterThan(0);
      });

      it('pages with `before` cover every event exactly once, across ties in time', async () => {
        await seed();
        for (const filter of [{}, { types: ['LOGIN_FAILED'] as const }, { ip: '192.0.2.2' }, { since: T0 + 4, until: T0 + 17 }]) {
          const pages = await allPages(repo, { ...filter, limit: 7 });
          const seen = pages.flat();
          expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
          expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
          expect(seen.map((e) => e.id)).toEqual((await repo.query({ ...filter, limit: 1000 })).map((e) => e.id));
          expect(seen.length).toBe(await repo.count(filter));
        }
      });

      it('after(id) reads newer events oldest first, by type, up to a limit', async () => {
        await seed();
        const all = await repo.after(0, { limit: 1000 });
        expect(all).toHaveLength(60);
        const from = all[9]!.id;
        const next = await repo.after(from, { limit: 5 });
        expect(next.map((e) => e.id)).toEqual(all.slice(10, 15).map((e) => e.id));
        const ok = await repo.after(from, { types: ['LOGIN_SUCCEEDED'], limit: 100 });
        expect(ok.map((e) => e.id)).toEqual(all.slice(10).filter((e) => e.type === 'LOGIN_SUCCEEDED').map((e) => e.id));
        expect(await repo.after(await repo.maxId(), { limit: 10 })).toEqual([]);
      });
    });

    it.skipIf(backend.name !== 'sqlite')('SQLite walks an index for each filter, without sorting', async () => {
      const plan = async (where: (q: any) => any) => {
        const q = where(database.db.selectFrom('security_events').selectAll())
          .where(sql<boolean>`(time, id) < (${T0}, ${5})`)
          .orderBy('time', 'desc')
          .orderBy('id', 'desc')
          .limit(100)
          .compile();
        const rows = database.sqlite!.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.parameters as unknown[])) as { detail: string }[];
        return rows.map((r) => r.detail).join('; ');
      };
      for (const [index, where] of [
        ['security_events_type_time_idx', (q: any) => q.where('type', '=', 'LOGIN_FAILED')],
        ['security_events_ip_time_idx', (q: any) => q.where('ip', '=', '192.0.2.1')],
        ['security_events_user_time_idx', (q: any) => q.where('user_id', '=', 'u-1')],
        ['security_events_time_idx', (q: any) => q.where('time', '>=', T0 - 1000)],
      ] as const) {
        const detail = await plan(where);
        expect(detail).toContain(index);
        expect(detail).not.toContain('TEMP B-TREE');
      }
    });
  });
}
