import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBaseUrl } from '../../src/cli/health.js';
import { createMemoryKv } from '../../src/storage/kv/index.js';
import { manualClock } from '../../src/shared/clock.js';
import { testConfig } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';
import { tempWorkspace, vigil } from '../cli/harness.js';

/** A port where nothing listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('vigil health against a listening server', () => {
  const ws = tempWorkspace();
  let healthy: TestApp;
  let sick: TestApp;
  let healthyUrl: string;
  let sickUrl: string;

  beforeAll(async () => {
    healthy = await makeTestApp();
    healthyUrl = await healthy.app.listen({ host: '127.0.0.1', port: 0 });
    // Redis configured but not answering: liveness degraded, readiness 503, auth still fine.
    const kv = Object.assign(createMemoryKv(manualClock()), { kind: 'redis' as const, status: () => 'degraded' as const, ping: () => Promise.reject(new Error('down')) });
    sick = await makeTestApp({}, { kv: kv as never });
    sickUrl = await sick.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await healthy.close();
    await sick.close();
    ws.remove();
  });

  it('all healthy: a table, "3/3 services healthy", exit 0', async () => {
    const r = await vigil(['health', '--url', healthyUrl], ws.env, ws.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CHECK\s+STATUS\s+TIME\s+DETAIL\n/);
    expect(r.stdout).toMatch(/^liveness\s+healthy\s+[\d.]+ ms\s+http:\/\/127\.0\.0\.1:\d+\/health$/m);
    expect(r.stdout).toMatch(/^readiness\s+healthy\s+/m);
    expect(r.stdout).toMatch(/^auth\s+healthy\s+.*\/api\/v1\/auth\/security-info$/m);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('3/3 services healthy');
  });

  it('--json: the seed report shape', async () => {
    const r = await vigil(['health', '--url', `${healthyUrl}/`, '--json'], ws.env, ws.dir);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.overall).toEqual({ status: 'healthy', timestamp: expect.stringMatching(/Z$/), summary: '3/3 services healthy' });
    expect(report.checks.liveness).toMatchObject({ status: 'healthy', http_status: 200, response_time_ms: expect.any(Number), data: { status: 'healthy' } });
    expect(report.checks.readiness).toMatchObject({ status: 'healthy', http_status: 200, data: { status: 'ready' } });
    expect(report.checks.auth).toMatchObject({ status: 'healthy', http_status: 200, url: `${healthyUrl}/api/v1/auth/security-info` });
  });

  it('degraded and not ready: says why, "1/3 services healthy", exit 1', async () => {
    const r = await vigil(['health', '--url', sickUrl], ws.env, ws.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^liveness\s+unhealthy\s+.*status degraded$/m);
    expect(r.stdout).toMatch(/^readiness\s+unhealthy\s+.*HTTP 503: redis \(error\)$/m);
    expect(r.stdout).toMatch(/^auth\s+healthy/m);
    expect(r.stdout).toContain('1/3 services healthy');
  });

  it('nothing listening: every check is an error, exit 1', async () => {
    const r = await vigil(['health', '--url', `http://127.0.0.1:${await freePort()}`, '--json'], ws.env, ws.dir);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.overall.summary).toBe('0/3 services healthy');
    expect(report.checks.liveness).toMatchObject({ status: 'error', detail: 'ECONNREFUSED' });
  });

  it('without --url it calls API_HOST:API_PORT from the configuration', async () => {
    const port = new URL(healthyUrl).port;
    const r = await vigil(['health'], { ...ws.env, API_HOST: '127.0.0.1', API_PORT: port }, ws.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`http://127.0.0.1:${port}/health`);
    expect(defaultBaseUrl(testConfig({ API_HOST: '0.0.0.0', API_PORT: '8000' }))).toBe('http://127.0.0.1:8000');
    expect(defaultBaseUrl(testConfig({ API_HOST: '::', API_PORT: '8000' }))).toBe('http://[::1]:8000');
  });

  it('bad arguments are usage errors (exit 2)', async () => {
    for (const args of [['health', '--url', 'not a url'], ['health', '--url', 'ftp://x'], ['health', '--url', 'http://u:p@h'], ['health', '--timeout', 'soon']]) {
      const r = await vigil(args, ws.env, ws.dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
  });
});
