import { afterEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../src/shared/clock.js';
import { OTHER_STRONG_PASSWORD, PROTECTED_ENV, STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const ADMIN_KEY = 'admin-key-for-ip-block-tests-0123456789';
const ENV = { ...PROTECTED_ENV, RATE_LIMIT_ROUTES: 'login=10000/1m', RATE_LIMIT_IP: '10000', ADMIN_API_KEY: ADMIN_KEY, ACCOUNT_LOCKOUT_THRESHOLD: '1000' };
const admin = { 'x-api-key': ADMIN_KEY };

const failLogin = (ip: string, email = 'nobody@example.com') =>
  t!.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: { email, password: OTHER_STRONG_PASSWORD } });
const probe = (ip: string) => t!.app.inject({ method: 'GET', url: '/api/v1/auth/security-info', remoteAddress: ip });
const kinds = () => t!.events.filter((e) => e.type === 'SUSPICIOUS_ACTIVITY').map((e) => (e.details as { kind: string }).kind);

async function open(clock: ManualClock, env: Record<string, string> = {}) {
  t = await makeTestApp({ ...ENV, ...env }, { clock });
}

describe('IP blocks', () => {
  it('more than 10 failures in 5 minutes block the IP (24 h, then doubling for a repeat offender)', async () => {
    const clock = manualClock();
    await open(clock);
    for (let i = 0; i < 11; i++) expect((await failLogin('203.0.113.5')).statusCode).toBe(401);
    await t!.services.protection.detectors.idle();
    const blocked = await probe('203.0.113.5');
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toMatchObject({ code: 'ip_blocked' });
    expect((await probe('203.0.113.6')).statusCode).toBe(200);
    expect(kinds()).toContain('brute_force_ip');
    const block = t!.events.find((e) => e.type === 'IP_BLOCKED')!;
    expect(block.details).toMatchObject({ target: '203.0.113.5', source: 'auto', offence: 1, until: clock.now() + 86_400_000 });
    // Health probes still answer.
    expect((await t!.app.inject({ method: 'GET', url: '/health', remoteAddress: '203.0.113.5' })).statusCode).toBe(200);

    clock.advance(86_400_000 + 1);
    expect((await probe('203.0.113.5')).statusCode).toBe(200);
    for (let i = 0; i < 11; i++) await failLogin('203.0.113.5');
    await t!.services.protection.detectors.idle();
    expect((await probe('203.0.113.5')).statusCode).toBe(403);
    const second = t!.events.filter((e) => e.type === 'IP_BLOCKED')[1]!;
    expect(second.details).toMatchObject({ offence: 2, until: clock.now() + 2 * 86_400_000 });
  });

  it('IP_BLOCK_THRESHOLD failures within an hour block, even when spread out', async () => {
    const clock = manualClock();
    await open(clock, { IP_BLOCK_THRESHOLD: '4', DETECT_BRUTE_FORCE_IP: '1000/5m' });
    for (let i = 0; i < 3; i++) {
      await failLogin('203.0.113.20');
      clock.advance(10 * 60_000);
    }
    await t!.services.protection.detectors.idle();
    expect((await probe('203.0.113.20')).statusCode).toBe(200);
    await failLogin('203.0.113.20');
    await t!.services.protection.detectors.idle();
    expect((await probe('203.0.113.20')).statusCode).toBe(403);
    expect(kinds()).toEqual(['ip_failures']);
  });

  it('AUTO_BLOCK_THRESHOLD rate-limit violations in an hour block', async () => {
    const clock = manualClock();
    await open(clock, { RATE_LIMIT_IP: '1', AUTO_BLOCK_THRESHOLD: '3' });
    await probe('203.0.113.30');
    for (let i = 0; i < 3; i++) expect((await probe('203.0.113.30')).statusCode).toBe(429);
    await t!.services.protection.detectors.idle();
    const res = await probe('203.0.113.30');
    expect(res.statusCode).toBe(403);
    expect(kinds()).toEqual(['rate_limit_abuse']);
  });

  it('credential stuffing: one IP failing against many accounts', async () => {
    const clock = manualClock();
    await open(clock, { DETECT_BRUTE_FORCE_IP: '1000/5m', DETECT_CREDENTIAL_STUFFING: '3/10m:block_ip' });
    for (const who of ['a', 'b', 'c']) await failLogin('203.0.113.40', `${who}@example.com`);
    // The same account again does not count twice.
    await failLogin('203.0.113.40', 'a@example.com');
    await t!.services.protection.detectors.idle();
    expect((await probe('203.0.113.40')).statusCode).toBe(200);
    await failLogin('203.0.113.40', 'd@example.com');
    await t!.services.protection.detectors.idle();
    expect((await probe('203.0.113.40')).statusCode).toBe(403);
    expect(kinds()).toEqual(['credential_stuffing']);
  });

  it('an allowlisted address is never blocked, by detectors or by hand', async () => {
    const clock = manualClock();
    await open(clock, { IP_ALLOWLIST: '192.0.2.0/24' });
    for (let i = 0; i < 15; i++) await failLogin('192.0.2.77');
    await t!.services.protection.detectors.idle();
    expect((await probe('192.0.2.77')).statusCode).toBe(200);
    const detected = t!.events.find((e) => e.type === 'SUSPICIOUS_ACTIVITY' && (e.details as { kind: string }).kind === 'brute_force_ip')!;
    expect(detected.details).toMatchObject({ kind: 'brute_force_ip', response: 'notify' });
    const manual = await t!.app.inject({ method: 'POST', url: '/api/v1/admin/ip-blocks', headers: admin, payload: { target: '192.0.2.77', reason: 'test' } });
    expect(manual.statusCode).toBe(409);
  });

  it('manual blocks of addresses and ranges, listing, unblocking (a CIDR with %2F), and clear 400s', async () => {
    const clock = manualClock();
    await open(clock);
    const range = await t!.app.inject({ method: 'POST', url: '/api/v1/admin/ip-blocks', headers: admin, payload: { target: '198.51.100.77/24', duration: '2h', reason: 'abuse report #12' } });
    expect(range.statusCode).toBe(201);
    expect(range.json()).toMatchObject({ target: '198.51.100.0/24', source: 'manual', created_by: 'api_key:ADMIN_API_KEY' });
    expect((await probe('198.51.100.200')).statusCode).toBe(403);
    expect((await probe('198.51.101.1')).statusCode).toBe(200);
    const v6 = await t!.app.inject({ method: 'POST', url: '/api/v1/admin/ip-blocks', headers: admin, payload: { target: '2001:db8:dead::/48', duration: null, reason: 'forever' } });
    expect(v6.json().expires_at).toBeNull();
    expect((await probe('2001:db8:dead:1::5')).statusCode).toBe(403);

    const list = await t!.app.inject({ method: 'GET', url: '/api/v1/admin/ip-blocks', headers: admin });
    expect(list.json().blocks.map((b: { target: string }) => b.target).sort()).toEqual(['198.51.100.0/24', '2001:db8:dead::/48']);

    for (const bad of [{ target: '999.1.1.1', reason: 'x' }, { target: '10.0.0.0/33', reason: 'x' }, { target: 'localhost', reason: 'x' }, { target: '0.0.0.0/0', reason: 'x' }, { target: '10.0.0.1', reason: 'x', duration: 'soon' }]) {
      const res = await t!.app.inject({ method: 'POST', url: '/api/v1/admin/ip-blocks', headers: admin, payload: bad });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json().errors[0].pointer).toMatch(/^\/(target|duration)$/);
    }

    const lifted = await t!.app.inject({ method: 'DELETE', url: '/api/v1/admin/ip-blocks/198.51.100.0%2F24', headers: admin });
    expect(lifted.json()).toEqual({ lifted: 1 });
    expect((await probe('198.51.100.200')).statusCode).toBe(200);
    expect((await t!.app.inject({ method: 'DELETE', url: '/api/v1/admin/ip-blocks/198.51.100.0%2F24', headers: admin })).statusCode).toBe(404);
    expect(t!.events.filter((e) => e.type === 'IP_UNBLOCKED')).toHaveLength(1);
    expect(t!.events.filter((e) => e.type === 'ADMIN_ACTION').map((e) => (e.details as { action: string }).action)).toEqual(['ip_block', 'ip_block', 'ip_unblock']);

    clock.advance(2 * 3_600_000);
    expect((await probe('2001:db8:dead:1::5')).statusCode).toBe(403);
  });

  it('blocks survive a restart', async () => {
    const clock = manualClock();
    const url = `sqlite:/tmp/vigil-blocks-${process.pid}-${Date.now()}.db`;
    await open(clock, { DATABASE_URL: url });
    await t!.app.inject({ method: 'POST', url: '/api/v1/admin/ip-blocks', headers: admin, payload: { target: '203.0.113.88', reason: 'x' } });
    await t!.close();
    await open(clock, { DATABASE_URL: url });
    expect((await probe('203.0.113.88')).statusCode).toBe(403);
  });

  it('the other detectors report: registration burst, failure spike, rapid refresh, auth-error spike', async () => {
    const clock = manualClock();
    await open(clock, {
      DETECT_REGISTRATION_BURST: '2/1h', DETECT_FAILURE_SPIKE: '3/1h', DETECT_RAPID_REFRESH: '2/1m', DETECT_AUTH_ERROR_SPIKE: '3/5m',
      DETECT_BRUTE_FORCE_IP: '1000/5m', DETECT_BRUTE_FORCE_USER: '1000/1h', DETECT_CREDENTIAL_STUFFING: '1000/10m', RATE_LIMIT_ROUTES: 'login=1000/1m,register=1000/1h,refresh=1000/1m',
    });
    for (const n of [1, 2, 3]) {
      await t!.app.inject({ method: 'POST', url: '/api/v1/auth/register', remoteAddress: '203.0.113.60', payload: { email: `burst${n}@example.com`, password: STRONG_PASSWORD } });
    }
    for (const ip of ['203.0.113.61', '203.0.113.62', '203.0.113.63', '203.0.113.64']) await failLogin(ip);
    let { refresh_token } = (await t!.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'burst1@example.com', password: STRONG_PASSWORD } })).json();
    for (let i = 0; i < 3; i++) ({ refresh_token } = (await t!.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token } })).json());
    for (let i = 0; i < 4; i++) await t!.app.inject({ method: 'GET', url: '/api/v1/auth/me', remoteAddress: '203.0.113.65' });
    await t!.services.protection.detectors.idle();
    expect(kinds().sort()).toEqual(['auth_error_spike', 'failure_spike', 'rapid_refresh', 'registration_burst']);
    for (const e of t!.events.filter((x) => x.type === 'SUSPICIOUS_ACTIVITY')) {
      expect(e.details).toMatchObject({ response: 'notify', evidence: { count: expect.any(Number), threshold: expect.any(Number), window_seconds: expect.any(Number) } });
    }
  });
});
