import { afterEach, describe, expect, it, vi } from 'vitest';
import { manualClock, type ManualClock } from '../../src/shared/clock.js';
import { OTHER_STRONG_PASSWORD, PROTECTED_ENV, STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const EMAIL = 'lock.me@example.com';
// Route limits and IP blocking out of the way: these tests are about the account.
const ENV = { ...PROTECTED_ENV, RATE_LIMIT_ROUTES: 'login=10000/1m', RATE_LIMIT_IP: '10000', DETECT_BRUTE_FORCE_IP: '10000/5m', IP_BLOCK_THRESHOLD: '10000', DETECT_CREDENTIAL_STUFFING: '10000/10m' };

async function setup(clock: ManualClock, env: Record<string, string> = {}) {
  t = await makeTestApp({ ...ENV, ...env }, { clock });
  const user = await t.services.auth.createUser({ email: EMAIL, password: STRONG_PASSWORD, role: 'user' }, {});
  return user;
}
const login = (password: string, remoteAddress = '198.51.100.10') =>
  t!.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { email: EMAIL, password } });

describe('account lockout', () => {
  it('locks after ACCOUNT_LOCKOUT_THRESHOLD failures; a locked account answers exactly like a wrong password', async () => {
    const clock = manualClock();
    await setup(clock);
    // A successful login from here earlier makes this a trusted address.
    expect((await login(STRONG_PASSWORD)).statusCode).toBe(200);
    const wrong: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await login(OTHER_STRONG_PASSWORD);
      expect(res.statusCode).toBe(401);
      wrong.push(JSON.stringify({ ...res.json(), request_id: undefined }));
    }
    const locked = await login(STRONG_PASSWORD);
    expect(locked.statusCode).toBe(401);
    expect(JSON.stringify({ ...locked.json(), request_id: undefined })).toBe(wrong[0]);
    const events = t!.events.map((e) => e.type);
    expect(events.filter((e) => e === 'ACCOUNT_LOCKED')).toHaveLength(1);
    expect(t!.events.filter((e) => e.type === 'LOGIN_FAILED').map((e) => (e.details as { reason: string }).reason)).toEqual([
      'wrong_password', 'wrong_password', 'wrong_password', 'wrong_password', 'wrong_password', 'locked',
    ]);
    expect((await t!.services.protection.lockout.listLocked()).map((a) => a.email)).toEqual([EMAIL]);

    // After ACCOUNT_LOCKOUT_DURATION the right password works again and ends the lock.
    clock.advance(3_600_000 + 1000);
    expect((await login(STRONG_PASSWORD)).statusCode).toBe(200);
    const unlocked = t!.events.filter((e) => e.type === 'ACCOUNT_UNLOCKED');
    expect(unlocked.map((e) => (e.details as { source: string }).source)).toEqual(['login']);
    // From a trusted address, the end of the lock is not suspicious (brute_force_user did report the burst).
    expect(t!.events.filter((e) => e.type === 'SUSPICIOUS_ACTIVITY').map((e) => (e.details as { kind: string }).kind)).toEqual(['brute_force_user']);
    expect(await t!.services.protection.lockout.listLocked()).toEqual([]);
    // And the failure count started afresh: one wrong password does not relock.
    expect((await login(OTHER_STRONG_PASSWORD)).statusCode).toBe(401);
    expect((await login(STRONG_PASSWORD)).statusCode).toBe(200);
  });

  it('50 parallel wrong passwords: at most the threshold are checked, one lock', async () => {
    const clock = manualClock();
    await setup(clock);
    const verify = vi.spyOn(t!.services.hasher, 'verify');
    const results = await Promise.all(Array.from({ length: 50 }, () => login(OTHER_STRONG_PASSWORD)));
    expect(results.every((r) => r.statusCode === 401)).toBe(true);
    expect(verify.mock.calls.length).toBeLessThanOrEqual(5);
    expect(t!.events.filter((e) => e.type === 'ACCOUNT_LOCKED')).toHaveLength(1);
    // The right password is refused while locked.
    expect((await login(STRONG_PASSWORD)).statusCode).toBe(401);
  });

  it('a burst of correct logins larger than the threshold all succeed', async () => {
    await setup(manualClock());
    const results = await Promise.all(Array.from({ length: 12 }, () => login(STRONG_PASSWORD)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(12).fill(200));
    expect(t!.events.some((e) => e.type === 'ACCOUNT_LOCKED')).toBe(false);
  });

  it('the right password from a new address after the lock expires is reported', async () => {
    const clock = manualClock();
    await setup(clock);
    for (let i = 0; i < 5; i++) await login(OTHER_STRONG_PASSWORD, '203.0.113.50');
    clock.advance(3_600_001);
    expect((await login(STRONG_PASSWORD, '203.0.113.99')).statusCode).toBe(200);
    const suspicious = t!.events.filter((e) => e.type === 'SUSPICIOUS_ACTIVITY');
    expect(suspicious.map((e) => (e.details as { kind: string }).kind)).toContain('login_after_lockout_from_new_ip');
  });

  it('survives a restart, and an admin can unlock', async () => {
    const clock = manualClock();
    const url = `sqlite:/tmp/vigil-lockout-${process.pid}-${Date.now()}.db`;
    const user = await setup(clock, { DATABASE_URL: url });
    for (let i = 0; i < 5; i++) await login(OTHER_STRONG_PASSWORD);
    await t!.close();
    t = await makeTestApp({ ...ENV, DATABASE_URL: url, ADMIN_API_KEY: 'admin-key-for-lockout-tests-0123456789' }, { clock });
    expect((await login(STRONG_PASSWORD)).statusCode).toBe(401);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/admin/locked-accounts', headers: { 'x-api-key': 'admin-key-for-lockout-tests-0123456789' } });
    expect(list.json().accounts).toEqual([{ user_id: user.id, email: EMAIL, locked_until: expect.any(String) }]);
    const unlock = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/locked-accounts/${user.id}`, headers: { 'x-api-key': 'admin-key-for-lockout-tests-0123456789' } });
    expect(unlock.json()).toEqual({ unlocked: true });
    expect((await login(STRONG_PASSWORD)).statusCode).toBe(200);
    expect(t.events.filter((e) => e.type === 'ACCOUNT_UNLOCKED').map((e) => (e.details as { source: string }).source)).toEqual(['manual']);
    expect(t.events.some((e) => e.type === 'ADMIN_ACTION' && (e.details as { action: string }).action === 'account_unlock')).toBe(true);
  });

  it('an unlock from another process (the CLI, no Redis) takes effect on the running server at once', async () => {
    const clock = manualClock();
    const url = `sqlite:/tmp/vigil-unlock-${process.pid}-${Date.now()}.db`;
    const user = await setup(clock, { DATABASE_URL: url });
    for (let i = 0; i < 5; i++) await login(OTHER_STRONG_PASSWORD);
    expect((await login(STRONG_PASSWORD)).statusCode).toBe(401);
    const cli = await makeTestApp({ ...ENV, DATABASE_URL: url }, { clock });
    try {
      expect(await cli.services.protection.lockout.unlock(user, {}, 'cli')).toBe(true);
    } finally {
      await cli.close();
    }
    expect((await login(STRONG_PASSWORD)).statusCode).toBe(200);
  });

  it('an unknown email never locks anything and answers the same', async () => {
    const clock = manualClock();
    await setup(clock);
    for (let i = 0; i < 8; i++) {
      const res = await t!.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ghost@example.com', password: OTHER_STRONG_PASSWORD } });
      expect(res.statusCode).toBe(401);
    }
    expect(t!.events.some((e) => e.type === 'ACCOUNT_LOCKED')).toBe(false);
    expect((await login(STRONG_PASSWORD)).statusCode).toBe(200);
  });

  it('security-info publishes the lockout policy', async () => {
    await setup(manualClock());
    const res = await t!.app.inject({ method: 'GET', url: '/api/v1/auth/security-info' });
    expect(res.json().lockout_policy).toEqual({ threshold: 5, window_seconds: 3600, duration_seconds: 3600 });
  });
});
