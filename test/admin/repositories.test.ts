import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../src/auth/ports.js';
import type { SecurityEvent } from '../../src/security-monitoring/events.js';
import { createRepositories, migrateToLatest, type Database, type Repositories } from '../../src/storage/index.js';
import { createAdminStatsRepository, createUserAdminRepository } from '../../src/storage/repositories/user-admin.js';
import type { AdminStatsRepository, UserAdminRepository } from '../../src/admin/ports.js';
import type { RefreshTokenRecord } from '../../src/tokens/ports.js';
import { BACKENDS } from '../support/backends.js';
import { T0, refreshTokenRecord, userRecord } from '../support/records.js';

/** The admin API's storage (accounts, erasure, sessions, overview counts) on SQLite and PostgreSQL. */

const user = userRecord;
const token = (userId: string, family: string, overrides: Partial<RefreshTokenRecord> = {}) => refreshTokenRecord(userId, { family_id: family, ...overrides });
const event = (type: SecurityEvent['type'], time: number, ctx: { ip?: string; user_id?: string }, details: object): SecurityEvent =>
  ({ type, time, severity: 'info', ...ctx, details }) as SecurityEvent;

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`admin storage: ${backend.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    let repos: Repositories;
    let admin: UserAdminRepository;
    let stats: AdminStatsRepository;

    beforeAll(async () => {
      ({ database, drop } = await backend.open());
      await migrateToLatest(database.db);
      repos = createRepositories(database);
      admin = createUserAdminRepository(database.db, database.dialect);
      stats = createAdminStatsRepository(database.db);
    });
    afterAll(async () => {
      await database?.close();
      await drop?.();
    });
    beforeEach(async () => {
      for (const table of ['refresh_tokens', 'token_blacklist', 'api_keys', 'security_events', 'ip_blocks', 'users'] as const) await database.db.deleteFrom(table).execute();
    });

    it('searches email and name case-insensitively, LIKE wildcards literal, with role and status filters, in email order', async () => {
      const a = user({ email: 'anna@example.com', name: 'Anna MÜLLER', role: 'admin' });
      const b = user({ email: 'ben_100%@example.com', name: 'Ben' });
      const c = user({ email: 'cleo@example.net', name: 'Cleo', disabled_at: T0 });
      const d = user({ email: 'dora@example.net', name: null, locked_until: T0 + 1000 });
      const e = user({ email: 'emil@example.net', locked_until: T0 - 1000 });
      for (const u of [e, d, c, b, a]) await repos.users.create(u);
      const emails = async (q: Parameters<UserAdminRepository['search']>[0]) => (await admin.search(q)).map((u) => u.email);
      expect(await emails({ limit: 10, now: T0 })).toEqual(['anna@example.com', 'ben_100%@example.com', 'cleo@example.net', 'dora@example.net', 'emil@example.net']);
      expect(await emails({ q: 'anna m', limit: 10, now: T0 })).toEqual(['anna@example.com']);
      expect(await emails({ q: 'EXAMPLE.NET', limit: 10, now: T0 })).toEqual(['cleo@example.net', 'dora@example.net', 'emil@example.net']);
      expect(await emails({ q: '_100%', limit: 10, now: T0 })).toEqual(['ben_100%@example.com']);
      expect(await emails({ q: 'b_n', limit: 10, now: T0 })).toEqual([]);
      expect(await emails({ q: 'b%n', limit: 10, now: T0 })).toEqual([]);
      expect(await emails({ q: "'; drop table users; --", limit: 10, now: T0 })).toEqual([]);
      expect(await emails({ role: 'admin', limit: 10, now: T0 })).toEqual(['anna@example.com']);
      expect(await emails({ status: 'disabled', limit: 10, now: T0 })).toEqual(['cleo@example.net']);
      expect(await emails({ status: 'locked', limit: 10, now: T0 })).toEqual(['dora@example.net']);
      expect(await emails({ status: 'active', limit: 10, now: T0 })).toEqual(['anna@example.com', 'ben_100%@example.com', 'emil@example.net']);
      expect(await emails({ afterEmail: 'ben_100%@example.com', limit: 2, now: T0 })).toEqual(['cleo@example.net', 'dora@example.net']);
    });

    it('disables, enables and changes roles, but never leaves no active admin', async () => {
      const a = user({ role: 'admin' });
      const b = user({ role: 'admin' });
      const u = user();
      for (const x of [a, b, u]) await repos.users.create(x);
      expect(await admin.setDisabled('missing', T0, T0)).toBe('not_found');
      expect(await admin.setDisabled(a.id, T0 + 1, T0 + 1)).toBe('ok');
      expect(await admin.findById(a.id)).toMatchObject({ disabled_at: T0 + 1, updated_at: T0 + 1 });
      expect(await admin.setDisabled(a.id, T0 + 2, T0 + 2)).toBe('ok');
      expect(await admin.findById(a.id)).toMatchObject({ disabled_at: T0 + 1, updated_at: T0 + 2 });
      expect(await admin.setDisabled(b.id, T0, T0)).toBe('last_admin');
      expect(await admin.setRole(b.id, 'user', T0)).toBe('last_admin');
      expect(await admin.deleteAndErase(b.id, 'erased:x')).toMatchObject({ outcome: 'last_admin', eventsErased: 0 });
      expect(await admin.findById(b.id)).toMatchObject({ role: 'admin', disabled_at: null });
      // A disabled admin does not count; enabling it makes b removable again.
      expect(await admin.setRole(a.id, 'user', T0)).toBe('ok');
      expect(await admin.setRole(a.id, 'admin', T0)).toBe('ok');
      expect(await admin.setDisabled(a.id, null, T0)).toBe('ok');
      expect(await admin.setRole(b.id, 'user', T0)).toBe('ok');
      expect(await admin.setDisabled(u.id, T0, T0)).toBe('ok');
    });

    it('two concurrent demotions of the last two admins: exactly one wins', async () => {
      for (let round = 0; round < 5; round++) {
        await database.db.deleteFrom('users').execute();
        const a = user({ role: 'admin' });
        const b = user({ role: 'admin' });
        await repos.users.create(a);
        await repos.users.create(b);
        const outcomes = await Promise.all([admin.setRole(a.id, 'user', T0), round % 2 ? admin.setDisabled(b.id, T0, T0) : admin.deleteAndErase(b.id, 'erased:r').then((r) => r.outcome)]);
        expect(outcomes.sort()).toEqual(['last_admin', 'ok']);
        const left = await database.db.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
        expect(left).toHaveLength(1);
      }
    });

    it('deletes a user with its tokens and pseudonymises its events and the records of what it did', async () => {
      const pat = user({ email: 'pat@example.com', role: 'admin', name: 'Pat' });
      const keeper = user({ role: 'admin' });
      const other = user({ email: 'jimpat@example.com' });
      for (const x of [pat, keeper, other]) await repos.users.create(x);
      await repos.refreshTokens.insert(token(pat.id, 'fam-a', { created_at: T0 + 5 }));
      await repos.refreshTokens.insert(token(pat.id, 'fam-a', { created_at: T0 + 9 }));
      await repos.refreshTokens.insert(token(other.id, 'fam-o'));
      await repos.blacklist.add({ jti: 'j1', user_id: pat.id, expires_at: T0 + 1000, reason: 'logout', created_at: T0 });
      const key: ApiKeyRecord = { id: 'k1', name: 'k', prefix: 'vgl_k1xxxxxx', key_hash: 'kh1', scope: 'public', created_at: T0, expires_at: null, last_used_at: null, revoked_at: null, created_by: `user:${pat.id}` };
      await repos.apiKeys.insert(key);
      await repos.securityEvents.insertMany([
        event('LOGIN_FAILED', T0 + 1, { ip: '198.51.100.1' }, { email: 'pat@example.com', reason: 'unknown_email' }),
        event('REGISTERED', T0 + 2, { ip: '198.51.100.2', user_id: pat.id }, { email: 'pat@example.com' }),
        event('ADMIN_ACTION', T0 + 3, { ip: '198.51.100.3', user_id: keeper.id }, { action: 'user_disable', target: pat.id, actor: `user:${keeper.id}` }),
        event('ADMIN_ACTION', T0 + 4, { ip: '198.51.100.4', user_id: pat.id }, { action: 'ip_block', target: '203.0.113.9', actor: `user:${pat.id}` }),
        event('LOGIN_FAILED', T0 + 5, { ip: '198.51.100.5', user_id: other.id }, { email: 'jimpat@example.com', reason: 'wrong_password' }),
        event('LOGIN_SUCCEEDED', T0 + 6, { ip: '198.51.100.6', user_id: keeper.id }, { email: keeper.email }),
      ]);

      const erased = await admin.deleteAndErase(pat.id, 'erased:0123');
      expect(erased.outcome).toBe('ok');
      expect(erased.eventsErased).toBe(4);
      expect(erased.sessions).toEqual([{ sid: 'fam-a', lastIssuedAt: T0 + 9 }]);
      expect(await admin.findById(pat.id)).toBeUndefined();
      expect(await database.db.selectFrom('refresh_tokens').select('user_id').execute()).toEqual([{ user_id: other.id }]);
      expect(await database.db.selectFrom('token_blacklist').select(['jti', 'user_id']).execute()).toEqual([{ jti: 'j1', user_id: null }]);
      expect(await database.db.selectFrom('api_keys').select('created_by').execute()).toEqual([{ created_by: 'erased:0123' }]);

      const rows = (await repos.securityEvents.query({ limit: 100 })).reverse();
      expect(rows.map((r) => ({ type: r.type, time: r.time, ip: r.ip, user_id: r.user_id, details: r.details }))).toEqual([
        { type: 'LOGIN_FAILED', time: T0 + 1, ip: null, user_id: null, details: { reason: 'unknown_email' } },
        { type: 'REGISTERED', time: T0 + 2, ip: null, user_id: 'erased:0123', details: {} },
        { type: 'ADMIN_ACTION', time: T0 + 3, ip: '198.51.100.3', user_id: keeper.id, details: { action: 'user_disable', target: 'erased:0123', actor: `user:${keeper.id}` } },
        { type: 'ADMIN_ACTION', time: T0 + 4, ip: null, user_id: 'erased:0123', details: { action: 'ip_block', target: '203.0.113.9', actor: 'erased:0123' } },
        { type: 'LOGIN_FAILED', time: T0 + 5, ip: '198.51.100.5', user_id: other.id, details: { email: 'jimpat@example.com', reason: 'wrong_password' } },
        { type: 'LOGIN_SUCCEEDED', time: T0 + 6, ip: '198.51.100.6', user_id: keeper.id, details: { email: keeper.email } },
      ]);
      expect(await admin.deleteAndErase(pat.id, 'erased:again')).toMatchObject({ outcome: 'not_found', eventsErased: 0 });
    });

    it('erases in pages: more events than one page', async () => {
      const u = user();
      await repos.users.create(u);
      await repos.users.create(user({ role: 'admin' }));
      await repos.securityEvents.insertMany(Array.from({ length: 1201 }, (_, i) => event('TOKEN_REFRESHED', T0 + i, { ip: '192.0.2.7', user_id: u.id }, { family_id: 'f', graced: false })));
      expect((await admin.deleteAndErase(u.id, 'erased:many')).eventsErased).toBe(1201);
      expect(await repos.securityEvents.count({ user_id: 'erased:many' })).toBe(1201);
      expect(await repos.securityEvents.count({ ip: '192.0.2.7' })).toBe(0);
    });

    it('lists live sessions (one row per family, the newest live token), finds one and counts per user', async () => {
      const u = user();
      const v = user();
      await repos.users.create(u);
      await repos.users.create(v);
      const now = T0 + 10_000;
      // Family 1: signed in at T0, refreshed at T0+100, then two tabs refreshed at once (grace: two live tokens).
      await repos.refreshTokens.insert(token(u.id, 'f1', { id: 'a', created_at: T0, rotated_at: T0 + 100, expires_at: now + 1 }));
      await repos.refreshTokens.insert(token(u.id, 'f1', { id: 'b', parent_id: 'a', created_at: T0 + 100, rotated_at: T0 + 200, expires_at: now + 1 }));
      await repos.refreshTokens.insert(token(u.id, 'f1', { id: 'c', parent_id: 'b', created_at: T0 + 200, expires_at: now + 5000, user_agent: 'tab 1' }));
      await repos.refreshTokens.insert(token(u.id, 'f1', { id: 'd', parent_id: 'b', created_at: T0 + 201, expires_at: now + 5000, ip: '192.0.2.99', user_agent: 'tab 2' }));
      // Family 2: never refreshed. Family 3: revoked. Family 4: expired.
      await repos.refreshTokens.insert(token(u.id, 'f2', { created_at: T0 + 50, expires_at: now + 5000 }));
      await repos.refreshTokens.insert(token(u.id, 'f3', { created_at: T0 + 60, revoked_at: T0 + 70, expires_at: now + 5000 }));
      await repos.refreshTokens.insert(token(u.id, 'f4', { created_at: T0 + 80, expires_at: now }));
      await repos.refreshTokens.insert(token(v.id, 'f5', { created_at: T0 + 90, expires_at: now + 5000 }));

      const all = await repos.refreshTokens.listActiveSessions(now, { limit: 10 });
      expect(all).toEqual([
        { sid: 'f1', user_id: u.id, created_at: T0, last_rotated_at: T0 + 201, expires_at: now + 5000, ip: '192.0.2.99', user_agent: 'tab 2' },
        { sid: 'f5', user_id: v.id, created_at: T0 + 90, last_rotated_at: null, expires_at: now + 5000, ip: '192.0.2.1', user_agent: 'test' },
        { sid: 'f2', user_id: u.id, created_at: T0 + 50, last_rotated_at: null, expires_at: now + 5000, ip: '192.0.2.1', user_agent: 'test' },
      ]);
      expect((await repos.refreshTokens.listActiveSessions(now, { userId: u.id, limit: 1 })).map((s) => s.sid)).toEqual(['f1']);
      expect(await repos.refreshTokens.findActiveSession('f1', now)).toEqual(all[0]);
      expect(await repos.refreshTokens.findActiveSession('f3', now)).toBeUndefined();
      expect(await repos.refreshTokens.findActiveSession('f4', now)).toBeUndefined();
      expect(await repos.refreshTokens.activeSessionCounts([u.id, v.id, 'nobody'], now)).toEqual({ [u.id]: 2, [v.id]: 1 });
      expect(await repos.refreshTokens.activeSessionCounts([], now)).toEqual({});
      expect(await repos.refreshTokens.countActiveSessions(now)).toBe(3);
    });

    it('counts users and events for the overview', async () => {
      for (const x of [user({ role: 'admin', created_at: T0 - 5 }), user({ disabled_at: T0 }), user({ locked_until: T0 + 1, created_at: T0 + 3 }), user({ locked_until: T0 - 1 })]) await repos.users.create(x);
      expect(await stats.userCounts(T0, T0)).toEqual({ total: 4, admins: 1, disabled: 1, locked: 1, created_since: 3 });
      await repos.securityEvents.insertMany([
        event('LOGIN_FAILED', T0 - 1, {}, { email: 'a', reason: 'wrong_password' }),
        event('LOGIN_FAILED', T0, {}, { email: 'a', reason: 'wrong_password' }),
        event('LOGIN_FAILED', T0 + 1, {}, { email: 'a', reason: 'wrong_password' }),
        event('LOGIN_SUCCEEDED', T0 + 2, {}, { email: 'a' }),
        event('IP_BLOCKED', T0 + 3, {}, { target: '192.0.2.1', reason: 'x', until: null, source: 'manual', offence: 1 }),
      ]);
      expect(await stats.eventCounts(T0)).toEqual({ LOGIN_FAILED: 2, LOGIN_SUCCEEDED: 1, IP_BLOCKED: 1 });
      expect(await stats.eventCounts(T0, ['LOGIN_FAILED', 'LOGIN_SUCCEEDED'])).toEqual({ LOGIN_FAILED: 2, LOGIN_SUCCEEDED: 1 });
      expect(await stats.eventCounts(T0, [])).toEqual({});
      expect(await stats.eventCounts(T0 + 100)).toEqual({});
      await database.db.deleteFrom('users').execute();
      expect(await stats.userCounts(T0, T0)).toEqual({ total: 0, admins: 0, disabled: 0, locked: 0, created_since: 0 });
    });
  });
}
