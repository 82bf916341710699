import Fastify, { type FastifyInstance } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleStaticRoutes } from '../../src/admin/console/index.js';
import { registerErrorHandling } from '../../src/http/error-handler.js';
import { makeTestApp } from '../support/services.js';

/** /admin: the built console (a stand-in build in a temp dir), its SPA fallback, cache headers and CSP. */

const INDEX = '<!doctype html><title>Vigil console</title><script type="module" src="/admin/assets/index-AbC123.js"></script>';

async function serve(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  registerErrorHandling(app);
  await app.register(consoleStaticRoutes, { root });
  return app;
}

describe('console static files', () => {
  let dir: string;
  let app: FastifyInstance;
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log("console")');
    writeFileSync(join(dir, 'assets', 'index-Def456.css'), 'body{margin:0}');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    // As the build writes them (web/vite.config.ts precompress): the same content, compressed.
    writeFileSync(join(dir, 'assets', 'index-AbC123.js.br'), brotliCompressSync('console.log("console")'));
    writeFileSync(join(dir, 'assets', 'index-AbC123.js.gz'), gzipSync('console.log("console")'));
    writeFileSync(join(dir, 'index.html.gz'), gzipSync(INDEX));
    writeFileSync(join(tmpdir(), 'vigil-web-outside.txt'), 'secret');
    app = await serve(dir);
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('/admin and /admin/ answer index.html, never cached without revalidation', async () => {
    for (const url of ['/admin', '/admin/', '/admin/index.html']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toBe(INDEX);
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('client routes (/admin/security, /admin/incidents/abc) fall back to index.html', async () => {
    for (const url of ['/admin/security', '/admin/incidents/0b1c-22', '/admin/users?q=x']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(INDEX);
    }
  });

  it('hashed assets are cached for a year and immutable; other files for an hour', async () => {
    const js = await get('/admin/assets/index-AbC123.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers.etag).toBeDefined();
    const again = await get('/admin/assets/index-AbC123.js', { 'if-none-match': String(js.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect((await get('/admin/assets/index-Def456.css')).headers['content-type']).toContain('text/css');
    expect((await get('/admin/favicon.svg')).headers['cache-control']).toBe('public, max-age=3600');
  });

  it('browsers that accept brotli or gzip get the precompressed file, with Vary: Accept-Encoding', async () => {
    const br = await get('/admin/assets/index-AbC123.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(String(br.headers.vary).toLowerCase()).toContain('accept-encoding');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe('console.log("console")');
    const gz = await get('/admin/assets/index-AbC123.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe('console.log("console")');
    const page = await get('/admin/security', { 'accept-encoding': 'gzip' });
    expect(page.headers['content-encoding']).toBe('gzip');
    expect(page.headers['content-type']).toContain('text/html');
    expect(gunzipSync(page.rawPayload).toString()).toBe(INDEX);
    const plain = await get('/admin/assets/index-AbC123.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe('console.log("console")');
  });

  it('missing assets and files are 404 problems, not index.html', async () => {
    for (const url of ['/admin/assets/index-gone.js', '/admin/assets/', '/admin/robots.txt']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('nothing outside the build is reachable', async () => {
    for (const url of ['/admin/../vigil-web-outside.txt', '/admin/%2e%2e/vigil-web-outside.txt', '/admin/assets/..%2f..%2fvigil-web-outside.txt', '/admin/..%5cvigil-web-outside.txt']) {
      const res = await get(url);
      expect(res.body, url).not.toContain('secret');
      expect([200, 404], url).toContain(res.statusCode);
      if (res.statusCode === 200) expect(res.body, url).toBe(INDEX);
    }
  });

  it('every answer carries the console CSP: own scripts and styles only, API and WebSocket to this origin only, never framed', async () => {
    for (const url of ['/admin', '/admin/security', '/admin/assets/index-AbC123.js', '/admin/assets/missing.js']) {
      const csp = String((await get(url, { host: 'vigil.test:8000' })).headers['content-security-policy']);
      const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));
      expect(directives, url).toMatchObject({
        'default-src': "'none'",
        'script-src': "'self'",
        'style-src': "'self'",
        'connect-src': "'self' ws://vigil.test:8000",
        'frame-ancestors': "'none'",
        'form-action': "'none'",
        'base-uri': "'none'",
        'object-src': "'none'",
      });
      expect(csp).not.toContain('unsafe');
    }
  });

  it('without a build, /admin is a 503 problem saying to run npm run build', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'vigil-web-empty-'));
    const bare = await serve(empty);
    try {
      for (const url of ['/admin', '/admin/security']) {
        const res = await bare.inject({ method: 'GET', url });
        expect(res.statusCode).toBe(503);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ code: 'service_unavailable', status: 503 });
        expect(res.json().detail).toContain('npm run build');
      }
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('/admin in the app', () => {
  it('answers the console (built or not) with the console CSP, while the API keeps its strict one', async () => {
    const t = await makeTestApp();
    try {
      const admin = await t.app.inject({ method: 'GET', url: '/admin' });
      // 200 with a build, 503 without; 404 if the e2e suite rebuilds dist/web at this very moment.
      expect([200, 404, 503]).toContain(admin.statusCode);
      expect(admin.headers['content-security-policy']).toContain("script-src 'self'");
      expect(admin.headers['x-frame-options']).toBe('DENY');
      const api = await t.app.inject({ method: 'GET', url: '/api/v1/auth/security-info' });
      expect(api.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    } finally {
      await t.close();
    }
  });
});
