import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OTHER_STRONG_PASSWORD, STRONG_PASSWORD } from '../support/config.js';
import { loadConfig, type Env } from '../../src/config/index.js';
import { createServices } from '../../src/services.js';
import { tempWorkspace, vigil } from './harness.js';

const openServices = (env: Env) => createServices(loadConfig(env), { migrate: true });

describe('vigil ip, user unlock, emergency', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  beforeEach(() => {
    ws = tempWorkspace();
    ws.env.IP_ALLOWLIST = '192.0.2.0/24';
    ws.env.ACCOUNT_LOCKOUT_THRESHOLD = '3';
  });
  afterEach(() => ws.remove());

  it('blocks, lists and unblocks addresses and ranges; bad input is a usage error', async () => {
    const blocked = await vigil(['ip', 'block', '203.0.113.9/24', '--for', '2h', '--reason', 'scanner', '--json'], ws.env, ws.dir);
    expect(blocked.code).toBe(0);
    expect(JSON.parse(blocked.stdout)).toMatchObject({ target: '203.0.113.0/24', source: 'manual', created_by: 'cli', reason: 'scanner' });
    expect((await vigil(['ip', 'block', '198.51.100.1', '--for', 'forever', '--reason', 'x'], ws.env, ws.dir)).stdout).toContain('until unblocked');
    const list = await vigil(['ip', 'list', '--json'], ws.env, ws.dir);
    expect(JSON.parse(list.stdout).map((b: { target: string }) => b.target).sort()).toEqual(['198.51.100.1', '203.0.113.0/24']);
    expect((await vigil(['ip', 'unblock', '203.0.113.0/24'], ws.env, ws.dir)).code).toBe(0);
    expect((await vigil(['ip', 'unblock', '203.0.113.0/24'], ws.env, ws.dir)).code).toBe(1);

    for (const args of [['ip', 'block', '300.1.2.3', '--reason', 'x'], ['ip', 'block', '10.0.0.1', '--for', 'soon', '--reason', 'x'], ['ip', 'block', '10.0.0.1']]) {
      const res = await vigil(args, ws.env, ws.dir);
      expect(res.code, args.join(' ')).toBe(2);
    }
    const allowlisted = await vigil(['ip', 'block', '192.0.2.5', '--reason', 'x'], ws.env, ws.dir);
    expect(allowlisted.code).toBe(1);
    expect(allowlisted.stderr).toContain('IP_ALLOWLIST');
  });

  it('unlocks an account locked by failed logins', async () => {
    const services = await openServices(ws.env);
    try {
      await services.auth.createUser({ email: 'locked@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
      for (let i = 0; i < 3; i++) await services.auth.login({ email: 'locked@example.com', password: OTHER_STRONG_PASSWORD }, {}).catch(() => undefined);
      expect((await services.protection.lockout.listLocked()).map((a) => a.email)).toEqual(['locked@example.com']);
    } finally {
      await services.close();
    }
    const res = await vigil(['user', 'unlock', 'Locked@Example.com'], ws.env, ws.dir);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Unlocked locked@example.com');
    expect((await vigil(['user', 'unlock', 'nobody@example.com'], ws.env, ws.dir)).code).toBe(1);
    const again = await openServices(ws.env);
    try {
      await expect(again.auth.login({ email: 'locked@example.com', password: STRONG_PASSWORD }, {})).resolves.toHaveProperty('access_token');
    } finally {
      await again.close();
    }
  });

  it('switches emergency mode on (optionally revoking sessions) and off', async () => {
    const services = await openServices(ws.env);
    let refresh: string;
    try {
      await services.auth.createUser({ email: 'u@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
      refresh = (await services.auth.login({ email: 'u@example.com', password: STRONG_PASSWORD }, {})).refresh_token;
    } finally {
      await services.close();
    }
    const on = await vigil(['emergency', 'on', '--revoke-sessions'], ws.env, ws.dir);
    expect(on.code).toBe(0);
    expect(on.stdout).toContain('Emergency mode is ON');
    expect(on.stdout).toContain('Revoked 1 session(s)');
    const status = await vigil(['emergency', 'status', '--json'], ws.env, ws.dir);
    expect(JSON.parse(status.stdout)).toMatchObject({ enabled: true, source: 'cli', by: 'cli' });
    const during = await openServices(ws.env);
    try {
      await expect(during.auth.refresh(refresh, {})).rejects.toThrow();
      await expect(during.auth.login({ email: 'u@example.com', password: STRONG_PASSWORD }, {})).rejects.toMatchObject({ code: 'emergency_mode' });
    } finally {
      await during.close();
    }
    expect((await vigil(['emergency', 'off'], ws.env, ws.dir)).stdout).toContain('Emergency mode is off');
  });
});
