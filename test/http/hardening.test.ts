import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, CORS_METHODS } from '../../src/http/cors.js';
import { DOCS_CSP, securityHeaders } from '../../src/http/security-headers.js';
import { hostMatcher } from '../../src/http/trusted-hosts.js';
import { makeTestApp, type TestApp } from '../support/services.js';

/** What every answer of a development instance carries, exactly. */
const HEADERS = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};
const HSTS = 'max-age=31536000; includeSubDomains';
const PRODUCTION = { ENVIRONMENT: 'production', ALLOW_SQLITE_IN_PRODUCTION: 'true', DATABASE_AUTO_MIGRATE: 'true' };

const accessControl = (res: LightMyRequestResponse) => Object.keys(res.headers).filter((h) => h.startsWith('access-control-'));

function expectSecurityHeaders(res: LightMyRequestResponse, what: string, hsts: boolean) {
  expect(res.headers, what).toMatchObject(HEADERS);
  if (hsts) expect(res.headers['strict-transport-security'], what).toBe(HSTS);
  else expect(res.headers['strict-transport-security'], what).toBeUndefined();
  expect(res.headers['x-powered-by'], what).toBeUndefined();
}

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ type: `urn:vigil:problem:${code}`, status, code, title: expect.any(String), request_id: res.headers['x-request-id'] });
}

describe('security headers', () => {
  let dev: TestApp;
  let prod: TestApp;
  beforeAll(async () => {
    dev = await makeTestApp();
    prod = await makeTestApp(PRODUCTION);
  });
  afterAll(async () => {
    await dev.close();
    await prod.close();
  });

  it('an API route, a 401, a 404 and a framework error all carry the exact headers; HSTS only in production', async () => {
    for (const [t, hsts] of [[dev, false], [prod, true]] as const) {
      const env = hsts ? 'production' : 'development';
      const ok = await t.app.inject({ method: 'GET', url: '/health' });
      expect(ok.statusCode).toBe(200);
      expectSecurityHeaders(ok, `${env} /health`, hsts);
      expectSecurityHeaders(await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }), `${env} jwks`, hsts);

      const unauthenticated = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me' });
      expectProblem(unauthenticated, 401, 'unauthenticated');
      expectSecurityHeaders(unauthenticated, `${env} 401`, hsts);

      const invalid = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'nope' } });
      expectProblem(invalid, 400, 'validation_failed');
      expectSecurityHeaders(invalid, `${env} 400`, hsts);

      const missing = await t.app.inject({ method: 'GET', url: '/no/such/route' });
      expectProblem(missing, 404, 'not_found');
      expectSecurityHeaders(missing, `${env} 404`, hsts);

      // Rejected before routing: no hook runs, the frameworkErrors wrapper adds the same headers.
      const malformed = await t.app.inject({ method: 'GET', url: '/api/v1/auth/%E0%A4%A' });
      expectProblem(malformed, 400, 'malformed_request');
      expectSecurityHeaders(malformed, `${env} framework error`, hsts);
    }
  });

  it('every response carries exactly the headers helmet computes for the configuration (also used for framework errors)', async () => {
    for (const t of [dev, prod]) {
      const res = await t.app.inject({ method: 'GET', url: '/health' });
      const expected = securityHeaders(t.services.config);
      const helmetNames = [...Object.keys(HEADERS), 'strict-transport-security'];
      const sent = Object.fromEntries(Object.entries(res.headers).filter(([h]) => helmetNames.includes(h)));
      expect(sent).toEqual(expected);
    }
  });

  it('/docs serves Swagger UI with a CSP that lets it load its own scripts, styles and spec, and nothing else', async () => {
    const page = await dev.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toBe(DOCS_CSP);
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]); // no inline or eval'd script
    expect(directives.get('style-src')).toContain("'self'");
    expect(directives.get('connect-src')).toEqual(["'self'"]); // the spec, and "Try it out"
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(page.headers['x-frame-options']).toBe('DENY');

    // Every script of the page is an external file from this origin: script-src 'self' runs them all.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    const assets = [...page.body.matchAll(/<(?:script[^>]*\bsrc|link[^>]*\bhref)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('swagger-ui-bundle.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('swagger-ui.css'))).toBe(true);
    for (const asset of assets) {
      const url = new URL(asset, 'http://localhost/docs/');
      expect(url.origin, asset).toBe('http://localhost'); // same origin: allowed by 'self'
      const res = await dev.app.inject({ method: 'GET', url: url.pathname });
      expect(res.statusCode, asset).toBe(200);
      if (asset.endsWith('.js')) expect(res.headers['content-type'], asset).toMatch(/javascript/);
      if (asset.endsWith('.css')) expect(res.headers['content-type'], asset).toMatch(/text\/css/);
    }
    const initializer = await dev.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.body).toContain("resolveUrl('./json')");
    const spec = await dev.app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.statusCode).toBe(200);
    expect(spec.json().openapi).toBe('3.1.0');
  });

  it('the relaxed CSP stays on /docs: the API and the OpenAPI document keep the strict one', async () => {
    for (const url of ['/openapi.json', '/health', '/docs-not-really']) {
      const res = await dev.app.inject({ method: 'GET', url });
      expect(res.headers['content-security-policy'], url).toBe(HEADERS['content-security-policy']);
    }
  });
});

describe('CORS', () => {
  const LISTED = 'https://app.example.com';
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ API_CORS_ORIGINS: `${LISTED}, https://www.example.com:8443` });
  });
  afterAll(() => t.close());

  const preflight = (app: TestApp, origin: string, url = '/api/v1/auth/login') =>
    app.app.inject({ method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });

  it('a preflight from a listed origin: the origin echoed exactly, with credentials, methods, headers and max-age', async () => {
    const res = await preflight(t, LISTED);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers['access-control-allow-origin']).toBe(LISTED);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toBe('GET, POST, PUT, PATCH, DELETE, OPTIONS');
    expect(res.headers['access-control-allow-headers']).toBe('Authorization, Content-Type, X-API-Key, X-Request-ID');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
    expectSecurityHeaders(res, 'preflight', false);
    expect(CORS_METHODS.join(', ')).toBe(res.headers['access-control-allow-methods']);
    expect(CORS_ALLOWED_HEADERS.join(', ')).toBe(res.headers['access-control-allow-headers']);

    const other = await preflight(t, 'https://www.example.com:8443', '/api/v1/auth/me');
    expect(other.headers['access-control-allow-origin']).toBe('https://www.example.com:8443');
  });

  it('a request from a listed origin, answered or refused, exposes the request id and rate-limit headers', async () => {
    for (const [url, status] of [['/health', 200], ['/api/v1/auth/me', 401]] as const) {
      const res = await t.app.inject({ method: 'GET', url, headers: { origin: LISTED } });
      expect(res.statusCode).toBe(status);
      expect(res.headers['access-control-allow-origin']).toBe(LISTED);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-expose-headers']).toBe('X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, RateLimit, RateLimit-Policy, Retry-After');
      expect(CORS_EXPOSED_HEADERS.join(', ')).toBe(res.headers['access-control-expose-headers']);
      expect(res.headers.vary).toMatch(/\bOrigin\b/);
      expect(res.headers['access-control-allow-methods']).toBeUndefined(); // preflight only
    }
  });

  it('an unlisted origin, a near miss, a null origin and no origin get no CORS header at all', async () => {
    for (const origin of ['https://evil.example', 'http://app.example.com', 'https://app.example.com.evil.example', 'https://www.example.com', 'null']) {
      const get = await t.app.inject({ method: 'GET', url: '/health', headers: { origin } });
      expect(get.statusCode, origin).toBe(200);
      expect(accessControl(get), origin).toEqual([]);
      expect(get.headers.vary, origin).toMatch(/\bOrigin\b/); // caches must not reuse a listed origin's answer

      const pre = await preflight(t, origin);
      expect(accessControl(pre), origin).toEqual([]);
      expectProblem(pre, 404, 'not_found');
    }
    expect(accessControl(await t.app.inject({ method: 'GET', url: '/health' }))).toEqual([]);
  });

  it('with API_CORS_ORIGINS empty (the default) nothing is CORS-enabled', async () => {
    const off = await makeTestApp();
    try {
      const get = await off.app.inject({ method: 'GET', url: '/health', headers: { origin: LISTED } });
      expect(accessControl(get)).toEqual([]);
      expect(get.headers.vary).toBeUndefined();
      const pre = await preflight(off, LISTED);
      expect(accessControl(pre)).toEqual([]);
      expectProblem(pre, 404, 'not_found');
    } finally {
      await off.close();
    }
  });

  it('`*` (development only) allows any origin, never with credentials', async () => {
    const any = await makeTestApp({ API_CORS_ORIGINS: '*' });
    try {
      const pre = await preflight(any, 'https://whoever.example');
      expect(pre.statusCode).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('*');
      expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
      expect(pre.headers['access-control-max-age']).toBe('600');
      const get = await any.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://whoever.example' } });
      expect(get.headers['access-control-allow-origin']).toBe('*');
      expect(get.headers['access-control-allow-credentials']).toBeUndefined();
    } finally {
      await any.close();
    }
  });
});

describe('trusted hosts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ API_TRUSTED_HOSTS: 'api.example.com, *.example.org', API_CORS_ORIGINS: 'https://app.example.com' });
  });
  afterAll(() => t.close());

  const get = (host: string, url = '/api/v1/auth/me', headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers: { host, ...headers } });

  it('listed hosts, wildcard subdomains at any depth, any case and any port are served', async () => {
    for (const host of ['api.example.com', 'API.Example.COM', 'api.example.com:8443', 'api.example.com.', 'a.example.org', 'a.b.example.org:80', 'A.EXAMPLE.ORG']) {
      const res = await get(host);
      expect(res.statusCode, host).toBe(401); // past the Host check, stopped by the guard
      expect(res.json().code, host).toBe('unauthenticated');
    }
  });

  it('other hosts get 400 untrusted_host as problem+json with the security headers, before any guard or body parsing', async () => {
    for (const host of ['example.org', 'evil.example', 'api.example.com.evil.example', 'evilexample.org', 'example.org.evil', 'xexample.org', '127.0.0.1', '[::1]:8000', 'api.example.com@evil.example', '.example.org', 'a..example.org']) {
      const res = await get(host);
      expectProblem(res, 400, 'untrusted_host');
      expectSecurityHeaders(res, host, false);
      expect(res.body, host).not.toContain(host.replace(/:\d+$/, '')); // the Host is not echoed
    }
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { host: 'evil.example', 'content-type': 'application/json' }, payload: '{"broken":' });
    expectProblem(login, 400, 'untrusted_host');
    expectProblem(await get('evil.example', '/no/such/route'), 400, 'untrusted_host');
    expectProblem(await get('evil.example', '/docs/'), 400, 'untrusted_host');
  });

  it('a CORS preflight to an untrusted host is refused, even from a listed origin', async () => {
    const res = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/auth/login', headers: { host: 'evil.example', origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    expectProblem(res, 400, 'untrusted_host');
    expect(accessControl(res)).toEqual([]);
  });

  it('/health and /health/ready answer probes on any Host; nothing else does', async () => {
    for (const host of ['10.1.2.3:8000', 'localhost', 'evil.example']) {
      expect((await get(host, '/health')).statusCode, host).toBe(200);
      expect((await get(host, '/health?probe=1')).statusCode, host).toBe(200);
      expect((await t.app.inject({ method: 'HEAD', url: '/health', headers: { host } })).statusCode, host).toBe(200);
      expectProblem(await t.app.inject({ method: 'POST', url: '/health', headers: { host } }), 400, 'untrusted_host');
      expectProblem(await get(host, '/health/'), 400, 'untrusted_host');
      expectProblem(await get(host, '/healthz'), 400, 'untrusted_host');
    }
  });

  it('X-Forwarded-Host counts only from a trusted proxy', async () => {
    const spoofed = await get('evil.example', '/api/v1/auth/me', { 'x-forwarded-host': 'api.example.com' });
    expectProblem(spoofed, 400, 'untrusted_host');
    const spoofing = await get('api.example.com', '/api/v1/auth/me', { 'x-forwarded-host': 'evil.example' });
    expect(spoofing.statusCode).toBe(401); // the header is ignored, the real Host is listed

    const proxied = await makeTestApp({ API_TRUSTED_HOSTS: 'api.example.com', TRUST_PROXY: 'loopback' });
    try {
      const inject = (host: string, forwarded: string) =>
        proxied.app.inject({ method: 'GET', url: '/api/v1/auth/me', remoteAddress: '127.0.0.1', headers: { host, 'x-forwarded-host': forwarded } });
      expect((await inject('vigil-internal:8000', 'api.example.com')).statusCode).toBe(401);
      expectProblem(await inject('api.example.com', 'evil.example'), 400, 'untrusted_host');
    } finally {
      await proxied.close();
    }
  });

  it('a request without a Host header is refused (HTTP/1.0 by Vigil, HTTP/1.1 already by Node)', async () => {
    const own = await makeTestApp({ API_TRUSTED_HOSTS: 'api.example.com' });
    try {
      await own.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = own.app.server.address() as { port: number };
      const raw = (request: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => socket.end(request));
          let data = '';
          socket.on('data', (d) => (data += d.toString('utf8')));
          socket.on('end', () => resolve(data));
          socket.on('error', reject);
        });
      const http10 = await raw('GET /api/v1/auth/me HTTP/1.0\r\n\r\n');
      expect(http10).toMatch(/^HTTP\/1\.[01] 400/);
      expect(http10).toMatch(/content-type: application\/problem\+json/i);
      expect(http10).toContain('"code":"untrusted_host"');
      expect(http10).toMatch(/x-frame-options: DENY/i);
      expect(await raw('GET /api/v1/auth/me HTTP/1.1\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
      const listed = await raw('GET /api/v1/auth/me HTTP/1.0\r\nHost: api.example.com\r\n\r\n');
      expect(listed).toMatch(/^HTTP\/1\.[01] 401/);
    } finally {
      await own.close();
    }
  });

  it('with API_TRUSTED_HOSTS empty (the default) any Host is served', async () => {
    const open = await makeTestApp();
    try {
      for (const host of ['evil.example', 'localhost:8000', '10.0.0.1']) {
        expect((await open.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { host } })).statusCode, host).toBe(401);
      }
    } finally {
      await open.close();
    }
  });
});

describe('hostMatcher', () => {
  it('matches exact names and subdomains of wildcards, never the wildcard bare domain or look-alikes', () => {
    const match = hostMatcher(['api.example.com', '*.example.org', '10.0.0.5', '[::1]']);
    for (const host of ['api.example.com', 'API.EXAMPLE.COM', 'api.example.com.', 'x.example.org', 'x.y.example.org', '10.0.0.5', '[::1]']) expect(match(host), host).toBe(true);
    for (const host of ['', 'example.org', '.example.org', 'xexample.org', 'x.example.org.evil', 'example.com', 'www.api.example.com', '10.0.0.6', '[::2]', 'a b.example.org', 'a..example.org', 'x.example.org/']) {
      expect(match(host), host).toBe(false);
    }
  });
});
