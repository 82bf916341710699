import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyRecord, User } from '../../src/auth/ports.js';
import { createRepositories, migrateToLatest, migrationStatus, migrationsCurrent, type Database, type Repositories } from '../../src/storage/index.js';
import { BACKENDS } from '../support/backends.js';
import { T0, refreshTokenRecord, uid, userRecord } from '../support/records.js';

/**
 * One contract for every repository, run against SQLite and PostgreSQL (a fresh schema per run).
 * Each test starts from empty tables.
 */

const user = userRecord;
const refreshToken = refreshTokenRecord;

function apiKey(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  const id = uid('k');
  return {
    id,
    name: `key ${id}`,
    prefix: `vgl_${id}`.padEnd(12, 'x').slice(0, 12),
    key_hash: uid('khash'),
    scope: 'public',
    created_at: T0,
    expires_at: null,
    last_used_at: null,
    revoked_at: null,
    created_by: null,
    ...overrides,
  };
}

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`storage contract: ${backend.name}`, () => {
    let database: Database;
    let drop: () => Promise<void>;
    let repos: Repositories;

    beforeAll(async () => {
      ({ database, drop } = await backend.open());
      expect(await migrationsCurrent(database.db)).toBe(false);
      const applied = await migrateToLatest(database.db);
      expect(applied.length).toBeGreaterThan(0);
      repos = createRepositories(database);
    });

    afterAll(async () => {
      await database?.close();
      await drop?.();
    });

    beforeEach(async () => {
      for (const table of ['refresh_tokens', 'token_blacklist', 'api_keys', 'signing_keys', 'users'] as const) {
        await database.db.deleteFrom(table).execute();
      }
    });

    describe('migrations', () => {
      it('are current after migrateToLatest and applying again is a no-op', async () => {
        expect(await migrationsCurrent(database.db)).toBe(true);
        expect(await migrateToLatest(database.db)).toEqual([]);
        const status = await migrationStatus(database.db);
        expect(status.length).toBeGreaterThan(0);
        expect(status.every((m) => m.executedAt instanceof Date)).toBe(true);
      });
    });

    describe('users', () => {
      it('creates, finds by id and email, and refuses a duplicate email without writing', async () => {
        const u = user({ name: "O'Brien; DROP TABLE users;--" });
        expect(await repos.users.create(u)).toBe(true);
        expect(await repos.users.findById(u.id)).toEqual(u);
        expect(await repos.users.findByEmail(u.email)).toEqual(u);
        expect(await repos.users.create(user({ email: u.email }))).toBe(false);
        expect(await repos.users.count()).toBe(1);
        expect(await repos.users.findByEmail('nobody@example.com')).toBeUndefined();
      });

      it('finds a profile by id: no credentials, the same values on every call, none for an unknown id', async () => {
        const a = user({ name: "O'Brien", last_login_at: T0 + 7 });
        const b = user({ disabled_at: T0 + 9 });
        await repos.users.create(a);
        await repos.users.create(b);
        const profileOf = (u: User) => ({ id: u.id, email: u.email, name: u.name, role: u.role, created_at: u.created_at, last_login_at: u.last_login_at, disabled_at: u.disabled_at });
        // The query is compiled once and run with each new id: the second lookup must not see the first's.
        expect(await repos.users.findProfile(a.id)).toEqual(profileOf(a));
        expect(await repos.users.findProfile(b.id)).toEqual(profileOf(b));
        expect(await repos.users.findProfile(a.id)).toEqual(profileOf(a));
        expect(await repos.users.findProfile(uid('missing'))).toBeUndefined();
        expect(await repos.users.findProfile("' OR '1'='1")).toBeUndefined();
      });

      it('stores a new hash, marking a change only when asked', async () => {
        const u = user();
        await repos.users.create(u);
        await repos.users.setPasswordHash(u.id, 'rehash', T0 + 1000, false);
        let got = await repos.users.findById(u.id);
        expect(got?.password_hash).toBe('rehash');
        expect(got?.password_changed_at).toBe(T0);
        await repos.users.setPasswordHash(u.id, 'changed', T0 + 2000, true);
        got = await repos.users.findById(u.id);
        expect(got?.password_hash).toBe('changed');
        expect(got?.password_changed_at).toBe(T0 + 2000);
        expect(got?.updated_at).toBe(T0 + 2000);
      });

      it('records logins and counts by role', async () => {
        const a = user({ role: 'admin' });
        await repos.users.create(a);
        await repos.users.create(user());
        await repos.users.create(user());
        await repos.users.recordLogin(a.id, T0 + 5);
        expect((await repos.users.findById(a.id))?.last_login_at).toBe(T0 + 5);
        expect(await repos.users.countByRole('admin')).toBe(1);
        expect(await repos.users.countByRole('user')).toBe(2);
        expect(await repos.users.count()).toBe(3);
      });

      it('concurrent creates with one email: exactly one wins', async () => {
        const email = 'race@example.com';
        const results = await Promise.all(Array.from({ length: 8 }, () => repos.users.create(user({ email }))));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await repos.users.count()).toBe(1);
      });
    });

    describe('refresh tokens', () => {
      let owner: User;
      beforeEach(async () => {
        owner = user();
        await repos.users.create(owner);
      });

      it('consumes an active token once; then it is rotated', async () => {
        const t = refreshToken(owner.id);
        await repos.refreshTokens.insert(t);
        const got = await repos.refreshTokens.consume(t.token_hash, T0 + 1);
        expect(got).toMatchObject({ id: t.id, family_id: t.family_id, rotated_at: T0 + 1 });
        expect(await repos.refreshTokens.consume(t.token_hash, T0 + 2)).toBeUndefined();
        expect((await repos.refreshTokens.findByHash(t.token_hash))?.rotated_at).toBe(T0 + 1);
      });

      it('one token consumed many times at once rotates exactly once', async () => {
        const t = refreshToken(owner.id);
        await repos.refreshTokens.insert(t);
        const results = await Promise.all(Array.from({ length: 10 }, () => repos.refreshTokens.consume(t.token_hash, T0 + 1)));
        expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      });

      it('does not consume expired, revoked or unknown tokens', async () => {
        const expired = refreshToken(owner.id, { expires_at: T0 + 10 });
        const revoked = refreshToken(owner.id, { revoked_at: T0, revoke_reason: 'logout' });
        await repos.refreshTokens.insert(expired);
        await repos.refreshTokens.insert(revoked);
        expect(await repos.refreshTokens.consume(expired.token_hash, T0 + 10)).toBeUndefined();
        expect(await repos.refreshTokens.consume(revoked.token_hash, T0 + 1)).toBeUndefined();
        expect(await repos.refreshTokens.consume('no-such-hash', T0)).toBeUndefined();
      });

      it('revokes a family (only live rows) and reports it', async () => {
        const first = refreshToken(owner.id);
        const second = refreshToken(owner.id, { family_id: first.family_id, parent_id: first.id });
        const other = refreshToken(owner.id);
        for (const t of [first, second, other]) await repos.refreshTokens.insert(t);
        expect(await repos.refreshTokens.isFamilyRevoked(first.family_id)).toBe(false);
        expect(await repos.refreshTokens.revokeFamily(first.family_id, T0 + 100, 'reuse_detected')).toBe(2);
        expect(await repos.refreshTokens.revokeFamily(first.family_id, T0 + 200, 'again')).toBe(0);
        expect(await repos.refreshTokens.isFamilyRevoked(first.family_id)).toBe(true);
        expect(await repos.refreshTokens.isFamilyRevoked(other.family_id)).toBe(false);
        expect((await repos.refreshTokens.findByHash(second.token_hash))?.revoke_reason).toBe('reuse_detected');
        expect(await repos.refreshTokens.familiesRevokedSince(T0 + 50)).toEqual([{ family_id: first.family_id, revoked_at: T0 + 100 }]);
        expect(await repos.refreshTokens.familiesRevokedSince(T0 + 101)).toEqual([]);
      });

      it('revokes every family of a user except one, and counts sessions', async () => {
        const keep = refreshToken(owner.id);
        const a = refreshToken(owner.id);
        const b = refreshToken(owner.id);
        const someoneElse = user();
        await repos.users.create(someoneElse);
        const theirs = refreshToken(someoneElse.id);
        for (const t of [keep, a, b, theirs]) await repos.refreshTokens.insert(t);
        expect(await repos.refreshTokens.countActiveSessions(T0 + 1)).toBe(4);
        expect(await repos.refreshTokens.countActiveSessions(T0 + 1, owner.id)).toBe(3);
        const revoked = await repos.refreshTokens.revokeUserFamilies(owner.id, T0 + 5, 'password_changed', keep.family_id);
        expect(revoked.sort()).toEqual([a.family_id, b.family_id].sort());
        expect(await repos.refreshTokens.countActiveSessions(T0 + 6, owner.id)).toBe(1);
        expect(await repos.refreshTokens.countActiveSessions(T0 + 6, someoneElse.id)).toBe(1);
        expect(await repos.refreshTokens.revokeUserFamilies(owner.id, T0 + 7, 'logout_all')).toEqual([keep.family_id]);
      });
    });

    describe('token blacklist', () => {
      it('adds entries idempotently, lists active ones and reports statistics', async () => {
        await repos.blacklist.add({ jti: 'j1', user_id: null, expires_at: T0 + 100, reason: 'logout', created_at: T0 });
        await repos.blacklist.add({ jti: 'j1', user_id: null, expires_at: T0 + 999, reason: 'second', created_at: T0 + 1 });
        await repos.blacklist.add({ jti: 'j2', user_id: null, expires_at: T0 + 200, reason: 'logout', created_at: T0 });
        await repos.blacklist.add({ jti: 'j3', user_id: null, expires_at: T0 + 300, reason: 'logout', created_at: T0 });
        const active = await repos.blacklist.listActive(T0 + 150);
        expect(active.map((e) => e.jti).sort()).toEqual(['j2', 'j3']);
        expect(await repos.blacklist.stats(T0 + 250)).toEqual({ total: 3, active: 1, expired: 2, oldest_expired: T0 + 100 });
        expect(await repos.blacklist.stats(T0)).toEqual({ total: 3, active: 3, expired: 0, oldest_expired: null });
      });

      it('reports zeros on an empty table', async () => {
        expect(await repos.blacklist.stats(T0)).toEqual({ total: 0, active: 0, expired: 0, oldest_expired: null });
      });
    });

    describe('api keys', () => {
      it('finds by hash, lists newest first, touches, and revokes by id or prefix once', async () => {
        const older = apiKey({ created_at: T0 });
        const newer = apiKey({ created_at: T0 + 10, scope: 'admin' });
        await repos.apiKeys.insert(older);
        await repos.apiKeys.insert(newer);
        expect(await repos.apiKeys.findByHash(newer.key_hash)).toEqual(newer);
        expect((await repos.apiKeys.list()).map((k) => k.id)).toEqual([newer.id, older.id]);
        await repos.apiKeys.touch(older.id, T0 + 20);
        expect((await repos.apiKeys.findByHash(older.key_hash))?.last_used_at).toBe(T0 + 20);
        expect((await repos.apiKeys.revoke(older.id, T0 + 30))?.id).toBe(older.id);
        expect(await repos.apiKeys.revoke(older.id, T0 + 40)).toBeUndefined();
        expect((await repos.apiKeys.revoke(newer.prefix, T0 + 50))?.revoked_at).toBe(T0 + 50);
        expect(await repos.apiKeys.revoke("nope' OR 1=1 --", T0)).toBeUndefined();
      });
    });

    describe('signing keys', () => {
      it('lists oldest first and retires a key with an expiry', async () => {
        const k = (kid: string, created_at: number) => ({ kid, alg: 'EdDSA', public_jwk: '{}', private_key: 'enc', created_at, retired_at: null, expires_at: null });
        await repos.signingKeys.insert(k('b', T0 + 1));
        await repos.signingKeys.insert(k('a', T0));
        expect((await repos.signingKeys.list()).map((x) => x.kid)).toEqual(['a', 'b']);
        await repos.signingKeys.retire('a', T0 + 5, T0 + 500);
        const [a] = await repos.signingKeys.list();
        expect(a).toMatchObject({ kid: 'a', retired_at: T0 + 5, expires_at: T0 + 500 });
      });
    });
  });
}
