import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { startMetricsServer } from '../../src/observability/metrics-http.js';
import { createServices, type Services } from '../../src/services.js';
import { testConfig, TEST_ENV } from '../support/config.js';
import { valueOf } from '../support/metrics.js';
import { makeTestApp, type TestApp } from '../support/services.js';

const TOKEN = 'metrics-token-0123456789abcdef';

let t: TestApp | undefined;
let services: Services | undefined;
let server: FastifyInstance | undefined;
afterEach(async () => {
  await server?.close();
  await services?.close();
  await t?.close();
  t = undefined;
  services = undefined;
  server = undefined;
});

const get = (headers: Record<string, string> = {}) => t!.app.inject({ method: 'GET', url: '/metrics', headers });

describe('/metrics access', () => {
  it('METRICS_TOKEN: no token or a wrong one is a problem+json 401 with a challenge; the right one is served', async () => {
    t = await makeTestApp({ METRICS_TOKEN: TOKEN });
    const none = await get();
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="vigil-metrics"');
    expect(none.json()).toMatchObject({ status: 401, code: 'unauthenticated' });

    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer other']) {
      const wrong = await get({ authorization });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toMatchObject({ status: 401, code: 'invalid_token' });
      expect(wrong.body).not.toContain(TOKEN);
    }
    expect((await get({ authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` })).statusCode).toBe(401);

    const ok = await get({ authorization: `bearer ${TOKEN}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('vigil_build_info');
    // The refusals were counted like any request.
    expect(valueOf(ok.body, 'vigil_http_requests_total', { method: 'GET', route: '/metrics', status: '401' })).toBe(5);
  });

  it('METRICS_TOKEN is a secret: redacted in the admin config view', async () => {
    t = await makeTestApp({ METRICS_TOKEN: TOKEN, ADMIN_API_KEY: 'admin-key-for-metrics-0123456789abcdef' });
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/config', headers: { 'x-api-key': 'admin-key-for-metrics-0123456789abcdef' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().metrics).toEqual({ enabled: true, token: '[REDACTED]' });
    expect(res.body).not.toContain(TOKEN);
  });

  it('PROMETHEUS_METRICS=false: nothing is collected and /metrics is a problem+json 404', async () => {
    t = await makeTestApp({ PROMETHEUS_METRICS: 'false' });
    expect(t.services.metrics).toBeUndefined();
    expect(t.services.gauges).toBeUndefined();
    const res = await get();
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'not_found' });
  });

  it('METRICS_PORT: served on a listener of its own over a real socket (with the token), and not on the API port', async () => {
    const config = testConfig({ METRICS_PORT: '65000', METRICS_TOKEN: TOKEN });
    // Port 0 for the test: a free one, read back from the server.
    services = await createServices(config, { migrate: true });
    server = await startMetricsServer({ metrics: services.metrics!, config: { ...config, metrics: { ...config.metrics, port: 0 } }, logger: services.log('metrics') });
    const address = server.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const url = `http://127.0.0.1:${address.port}/metrics`;

    const denied = await fetch(url);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toContain('application/problem+json');
    const served = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await served.text()).toContain('vigil_build_info');
    expect((await fetch(`http://127.0.0.1:${address.port}/api/v1/auth/security-info`)).status).toBe(404);

    // The API itself has no /metrics then.
    t = await makeTestApp({ METRICS_PORT: '65000' });
    expect((await get()).statusCode).toBe(404);
  });

  it('METRICS_PORT must differ from API_PORT', () => {
    expect(() => loadConfig({ ...TEST_ENV, API_PORT: '9100', METRICS_PORT: '9100' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...TEST_ENV, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN=\*\*\*\*\*\* \(5 characters\)/);
  });
});
