import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VARS } from '../../src/config/index.js';
import { byteSize } from '../../src/config/parsers.js';
import { NGINX_DIR, nginxPrefix, nginxTest, runNginx, selfSignedCert, startNginx, type Nginx } from '../support/nginx.js';
import { freePort } from '../support/redis.js';
import { makeTestApp, type TestApp } from '../support/services.js';

const CONF = readFileSync(join(NGINX_DIR, 'vigil.conf'), 'utf8');
const PROXY = readFileSync(join(NGINX_DIR, 'snippets/vigil-proxy.conf'), 'utf8');
/** Directive lines without comments. */
const directives = (text: string) => text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
const all = [...directives(CONF), ...directives(PROXY)];
const values = (name: string) => all.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).replace(/;$/, '').trim());

/** vigil.conf with its certificate, ports and upstream pointed at this test's. */
function testableConf(opts: { cert: string; key: string; http: number; https: number; upstream?: number }): string {
  let conf = CONF.replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${opts.cert};`)
    .replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${opts.key};`)
    .replace(/^\s*listen \[::\].*$/gm, '')
    .replace(/listen 80;/, `listen 127.0.0.1:${opts.http};`)
    .replace(/listen 443 /, `listen 127.0.0.1:${opts.https} `);
  if (opts.upstream !== undefined) conf = conf.replace(/server 127\.0\.0\.1:800\d/g, `server 127.0.0.1:${opts.upstream}`);
  return conf;
}

describe('deploy/nginx/vigil.conf, as written', () => {
  it('terminates TLS 1.2 and 1.3 only, and redirects HTTP to HTTPS', () => {
    expect(values('ssl_protocols')).toEqual(['TLSv1.2 TLSv1.3']);
    expect(values('listen')).toEqual(expect.arrayContaining(['80', '443 ssl http2']));
    expect(values('return')).toContain('301 https://$server_name$request_uri');
  });

  it('sends HSTS and the seeds\' headers on every answer (always), once', () => {
    for (const h of ['Strict-Transport-Security "max-age=31536000; includeSubDomains" always', 'X-Frame-Options "DENY" always', 'X-Content-Type-Options "nosniff" always']) {
      expect(values('add_header')).toContain(h);
    }
    for (const h of values('add_header').map((v) => v.split(' ')[0]!)) expect(values('proxy_hide_header')).toContain(h);
  });

  it('passes the client address the way TRUST_PROXY reads it, and upgrades WebSockets', () => {
    expect(values('proxy_set_header')).toEqual(expect.arrayContaining(['X-Forwarded-For $remote_addr', 'X-Real-IP $remote_addr', 'X-Forwarded-Proto $scheme', 'Upgrade $http_upgrade', 'Connection $vigil_connection_upgrade', 'Host $host']));
    expect(PROXY).toMatch(/location \/api\/v1\/admin\/stream \{/);
  });

  it('balances over several instances and retries only what may be retried', () => {
    expect(values('server').filter((v) => v.startsWith('127.0.0.1:')).length).toBeGreaterThanOrEqual(3);
    const next = values('proxy_next_upstream')[0]!.split(/\s+/);
    expect(next).toEqual(expect.arrayContaining(['error', 'timeout', 'http_502', 'http_503']));
    expect(next).not.toContain('non_idempotent');
  });

  it('bounds bodies exactly as Vigil\'s MAX_REQUEST_SIZE default does', () => {
    const [size] = values('client_max_body_size');
    const m = /^(\d+)([km]?)$/.exec(size!)!;
    const nginxBytes = Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2 } as Record<string, number>)[m[2]!]!;
    expect(nginxBytes).toBe(byteSize.parse(VARS.maxRequestSize.default as string));
  });
});

describe.skipIf(!runNginx)('deploy/nginx/vigil.conf under nginx', () => {
  let t: TestApp;
  let nginx: Nginx;
  let cert: string;
  let httpPort: number;
  let httpsPort: number;

  beforeAll(async () => {
    t = await makeTestApp({ TRUST_PROXY: 'loopback' });
    const upstream = Number(new URL(await t.app.listen({ host: '127.0.0.1', port: 0 })).port);
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    const dir = nginxPrefix('include vigil.conf;');
    const pair = selfSignedCert(dir);
    cert = readFileSync(pair.cert, 'utf8');
    writeFileSync(join(dir, 'vigil.conf'), testableConf({ ...pair, http: httpPort, https: httpsPort, upstream }));
    nginx = await startNginx(dir, httpsPort);
  });
  afterAll(async () => {
    await nginx?.stop();
    await t?.close();
  });

  it('nginx -t accepts it (with a throwaway self-signed certificate), and refuses it without the certificate', () => {
    const dir = nginxPrefix('include vigil.conf;');
    const pair = selfSignedCert(dir);
    writeFileSync(join(dir, 'vigil.conf'), testableConf({ ...pair, http: 8080, https: 8443 }));
    const ok = nginxTest(dir);
    expect(ok.status, ok.output).toBe(0);
    writeFileSync(join(dir, 'vigil.conf'), testableConf({ cert: join(dir, 'missing.pem'), key: pair.key, http: 8080, https: 8443 }));
    expect(nginxTest(dir).status).not.toBe(0);
  });

  /** An HTTPS request trusting only the throwaway certificate. */
  const https = (path: string, opts: { method?: string; body?: Buffer; tls?: 'TLSv1.1' } = {}) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; raw: string[]; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: httpsPort, path, method: opts.method ?? 'GET', ca: cert, servername: 'localhost', headers: { host: 'vigil.example.com' }, ...(opts.tls ? { minVersion: opts.tls, maxVersion: opts.tls } : {}) },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, raw: res.rawHeaders, body }));
        },
      );
      req.on('error', reject);
      req.end(opts.body);
    });

  it('proxies to Vigil over TLS with each security header once', async () => {
    const res = await https('/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).status).toBeDefined();
    const names = res.raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const h of ['strict-transport-security', 'x-frame-options', 'x-content-type-options', 'x-xss-protection']) expect(names.filter((n) => n === h), h).toHaveLength(1);
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('answers HTTP with a redirect to HTTPS', async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/auth/me`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('https://vigil.example.com/api/v1/auth/me');
  });

  it('refuses TLS 1.1', async () => {
    await expect(https('/health', { tls: 'TLSv1.1' })).rejects.toThrow();
  });

  it('refuses a body over MAX_REQUEST_SIZE itself (413, with the headers), and hides /metrics', async () => {
    const res = await https('/api/v1/auth/login', { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1, 'a') });
    expect(res.status).toBe(413);
    expect(res.headers['strict-transport-security']).toContain('max-age=31536000');
    expect((await https('/metrics')).status).toBe(404);
  });
});
