import type { FastifyInstance } from 'fastify';
import { PROTECTED_ENV, STRONG_PASSWORD } from './config.js';
import { makeTestApp, type TestApp } from './services.js';

/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the sample lines of an exposition (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and (at least) these labels; undefined if none. */
export function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = parseExposition(text).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** GET /metrics through inject (from an address of its own, so the API's per-IP limits of a test are not touched). */
export async function scrape(app: FastifyInstance, headers: Record<string, string> = {}): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.250', headers });
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}: ${res.body}`);
  return res.body;
}

/** Metric names a client may query, from the `# TYPE` lines (a histogram's as `_bucket`, `_sum`, `_count`). */
export function queryableNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

/**
 * An app that has served requests of every kind the metrics distinguish, protection on: a
 * registration, logins that succeed and fail, a refresh and a bad one, a good and a bad API key,
 * an admin route with a path parameter, a 404, a per-route and a per-IP 429, a blocked address;
 * its scheduled gauges computed. The caller closes it.
 */
export async function warmedUpApp(): Promise<TestApp> {
  const apiKey = 'public-key-for-warm-up-0123456789abcdef';
  const t = await makeTestApp({ ...PROTECTED_ENV, RATE_LIMIT_IP: '20', RATE_LIMIT_ROUTES: 'login=2/1m', PUBLIC_API_KEY: apiKey, ADMIN_API_KEY: `admin-${apiKey}` });
  const post = (url: string, payload: object, remoteAddress = '198.51.100.20', headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url, payload, remoteAddress, headers });
  const email = 'warm.up@example.com';
  await post('/api/v1/auth/register', { email, password: STRONG_PASSWORD });
  const tokens = (await post('/api/v1/auth/login', { email, password: STRONG_PASSWORD })).json() as { access_token: string; refresh_token: string };
  await post('/api/v1/auth/login', { email, password: `${STRONG_PASSWORD}-wrong` });
  await post('/api/v1/auth/login', { email, password: STRONG_PASSWORD }); // over the route limit (2/min): 429
  await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token });
  await post('/api/v1/auth/refresh', { refresh_token: 'z'.repeat(43) });
  await post('/api/v1/auth/introspect', { token: tokens.access_token }, '198.51.100.20', { 'x-api-key': apiKey });
  await post('/api/v1/auth/introspect', { token: tokens.access_token }, '198.51.100.20', { 'x-api-key': 'vgl_wrong' });
  await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/locked-accounts/0197a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', headers: { 'x-api-key': `admin-${apiKey}` } });
  await t.app.inject({ method: 'GET', url: '/does/not/exist' });
  await t.app.inject({ method: 'GET', url: '/health' });
  for (let i = 0; i < 21; i++) await t.app.inject({ method: 'GET', url: '/api/v1/auth/security-info', remoteAddress: '198.51.100.21' }); // per-IP 429
  await t.services.protection.ipBlocks.block({ target: '203.0.113.30', reason: 'warm-up', source: 'manual' }, {});
  await post('/api/v1/auth/login', { email, password: STRONG_PASSWORD }, '203.0.113.30');
  await t.services.gauges!.refresh();
  return t;
}
