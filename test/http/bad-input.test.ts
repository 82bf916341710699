import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

/**
 * Bad input over every route the OpenAPI document lists: each answer is a 4xx
 * application/problem+json with the standard members, never a 5xx.
 */
interface Property {
  type?: string;
  anyOf?: Property[];
}
interface Operation {
  method: string;
  path: string;
  properties: Record<string, Property>;
  required: string[];
  hasBody: boolean;
}

/** The JSON type a body field takes ('string' for unions that include a string). */
const typeOf = (op: Operation, field: string): string => {
  const p = op.properties[field]!;
  return p.type ?? p.anyOf?.find((a) => a.type && a.type !== 'null')?.type ?? 'string';
};
const nullable = (op: Operation, field: string) => op.properties[field]!.anyOf?.some((a) => a.type === 'null') ?? false;

/** A body every field of which has a value of the right type. */
function validBody(op: Operation): Record<string, unknown> {
  const sample = (k: string) => {
    if (typeOf(op, k) === 'boolean') return false;
    if (k === 'email') return 'x@example.com';
    if (k === 'token_type_hint') return 'access_token';
    if (k === 'target') return '192.0.2.1';
    if (k === 'duration') return '1h';
    return 'some-value-here';
  };
  return Object.fromEntries(Object.keys(op.properties).map((k) => [k, sample(k)]));
}

/** Valid path parameters, so that what is checked is the body (an unknown incident is a 404 after it). */
const PATH_PARAMS: Record<string, string> = { name: 'cleanup-tokens', id: '00000000-0000-4000-8000-000000000000' };
const urlOf = (path: string) => path.replace(/\{(\w+)\}/g, (_, p: string) => PATH_PARAMS[p] ?? p);

const TEN_MB = 10 * 1000 * 1000;
const NASTY_STRINGS = [
  "' OR '1'='1' --",
  "'; DROP TABLE users; --",
  '" OR ""="',
  '%00\u0000\u0001\u001f\u007f',
  '\u202e\u200b\ud83d\ude00',
  '{{7*7}}${7*7}<script>alert(1)</script>',
  '../../../../etc/passwd',
  '\\x00\\n\\r',
];

function assertProblem(res: LightMyRequestResponse, what: string) {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
  expect(res.headers['content-type'], what).toContain('application/problem+json');
  const body = res.json();
  expect(body, what).toMatchObject({ type: expect.any(String), title: expect.any(String), status: res.statusCode, code: expect.any(String), request_id: expect.any(String) });
  expect(res.body, what).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
}

describe('bad input over every route', () => {
  let t: TestApp;
  let operations: Operation[];
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await makeTestApp();
    await t.services.auth.createUser({ email: 'root@example.com', password: STRONG_PASSWORD, role: 'admin' }, {});
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'root@example.com', password: STRONG_PASSWORD } });
    auth = { authorization: `Bearer ${login.json().access_token}` };
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    operations = [];
    for (const [path, methods] of Object.entries<Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, Property>; required?: string[] } }> } }>>(spec.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const schema = op.requestBody?.content['application/json']?.schema;
        operations.push({ method: method.toUpperCase(), path, properties: schema?.properties ?? {}, required: schema?.required ?? [], hasBody: op.requestBody !== undefined });
      }
    }
  });
  afterAll(() => t.close());

  const send = (op: Operation, payload: string | Buffer | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    // X-Vigil-Console: the console's session routes refuse requests without it before reading the body.
    t.app.inject({ method: op.method as 'POST', url: urlOf(op.path), headers: { ...auth, 'x-vigil-console': '1', ...headers }, payload });

  const withBody = () => operations.filter((o) => o.hasBody);

  it('the OpenAPI document lists the routes with bodies', () => {
    expect(withBody().map((o) => `${o.method} ${o.path}`).sort()).toEqual([
      'POST /api/v1/admin/alerts/silences', 'POST /api/v1/admin/alerts/test', 'POST /api/v1/admin/api-keys', 'POST /api/v1/admin/backups',
      'POST /api/v1/admin/incidents/{id}/close', 'POST /api/v1/admin/incidents/{id}/notes', 'POST /api/v1/admin/incidents/{id}/public-updates', 'POST /api/v1/admin/incidents/{id}/resolve',
      'POST /api/v1/admin/ip-blocks', 'POST /api/v1/admin/jobs/{name}/run',
      'POST /api/v1/admin/users/{id}/disable', 'POST /api/v1/admin/users/{id}/enable', 'POST /api/v1/admin/users/{id}/revoke-sessions', 'POST /api/v1/admin/users/{id}/unlock',
      'POST /api/v1/auth/introspect', 'POST /api/v1/auth/login', 'POST /api/v1/auth/password',
      'POST /api/v1/auth/refresh', 'POST /api/v1/auth/register', 'POST /api/v1/console/session', 'PUT /api/v1/admin/emergency',
      'PUT /api/v1/admin/incidents/{id}/public',
      'PUT /api/v1/admin/users/{id}/role',
    ]);
  });

  it('malformed JSON, JSON of the wrong kind, and an empty JSON body', async () => {
    for (const op of withBody()) {
      for (const payload of ['{"email":', '{', '}', 'nul', '[1,2', '"unterminated', '{"a":1}}', '\u0000', '[]', 'null', '42', '"text"', '']) {
        assertProblem(await send(op, payload), `${op.path} ${JSON.stringify(payload)}`);
      }
    }
  });

  it('missing fields, extra fields and wrong types name the bad field with a JSON pointer', async () => {
    for (const op of withBody()) {
      if (op.required.length > 0) {
        const missing = await send(op, '{}');
        assertProblem(missing, `${op.path} {}`);
        expect(missing.json().code).toBe('validation_failed');
        expect(missing.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(`/${op.required[0]}`);
      }

      const valid = validBody(op);
      const extra = await send(op, JSON.stringify({ ...valid, is_admin: true }));
      assertProblem(extra, `${op.path} extra`);
      expect(extra.json().errors?.some((e: { pointer: string }) => e.pointer === '/is_admin'), `${op.path} extra: ${extra.body.slice(0, 300)}`).toBe(true);

      for (const field of Object.keys(op.properties)) {
        const kind = typeOf(op, field);
        const isKind = (w: unknown) => (kind === 'array' ? Array.isArray(w) : typeof w === kind && !Array.isArray(w));
        for (const wrong of [123, true, null, {}, [], ['a'], 1e308].filter((w) => !isKind(w) && !(w === null && nullable(op, field)))) {
          const res = await send(op, JSON.stringify({ ...valid, [field]: wrong }));
          assertProblem(res, `${op.path} ${field}=${JSON.stringify(wrong)}`);
          expect(res.json().errors?.some((e: { pointer: string }) => e.pointer === `/${field}`), `${op.path} ${field}=${JSON.stringify(wrong)}`).toBe(true);
        }
      }
    }
  });

  it('control characters and SQL or template metacharacters in every string field', async () => {
    for (const op of withBody()) {
      for (const field of Object.keys(op.properties)) {
        for (const nasty of NASTY_STRINGS) {
          if (typeOf(op, field) !== 'string') continue;
          const body = validBody(op);
          const res = await send(op, JSON.stringify({ ...body, [field]: nasty }));
          // Some are valid input (a password may hold quotes): never a 5xx, and any error is a problem.
          const what = `${op.path} ${field}=${JSON.stringify(nasty)}`;
          expect(res.statusCode, what).toBeLessThan(500);
          if (res.statusCode >= 400) assertProblem(res, what);
        }
      }
    }
    // The users table is intact and the admin can still sign in.
    expect(await t.services.auth.login({ email: 'root@example.com', password: STRONG_PASSWORD }, {})).toHaveProperty('access_token');
  });

  it('10 MB strings are refused by validation, bodies over MAX_REQUEST_SIZE with 413', async () => {
    const huge = 'a'.repeat(TEN_MB);
    for (const op of withBody()) {
      for (const field of Object.keys(op.properties)) {
        const res = await send(op, JSON.stringify({ [field]: huge }));
        assertProblem(res, `${op.path} ${field}=10MB`);
        expect(res.statusCode).toBe(400);
      }
      const oversized = await send(op, JSON.stringify({ email: 'a'.repeat(11 * 1024 * 1024) }));
      assertProblem(oversized, `${op.path} 11MiB`);
      expect(oversized.statusCode).toBe(413);
    }
  });

  it('unsupported content types are 415', async () => {
    for (const op of withBody()) {
      for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
        const res = await send(op, 'email=x', { 'content-type': type });
        assertProblem(res, `${op.path} ${type}`);
        expect(res.statusCode).toBe(415);
      }
    }
  });

  it('form bodies are validated like JSON ones', async () => {
    for (const op of withBody()) {
      const res = await send(op, 'unknown=1&email=%00', { 'content-type': 'application/x-www-form-urlencoded' });
      assertProblem(res, `${op.path} form`);
    }
  });

  it('every route with junk query strings, junk headers, and wrong methods', async () => {
    for (const op of operations) {
      const res = await t.app.inject({ method: op.method as 'GET', url: `${op.path}?id=' OR 1=1--&x[]=1&x[a]=2&%00=%ff`, headers: { ...auth, 'x-request-id': '\u0000bad id' } });
      expect(res.statusCode, op.path).toBeLessThan(500);
      const wrong = await t.app.inject({ method: op.method === 'GET' ? 'DELETE' : 'PUT', url: op.path, headers: auth });
      assertProblem(wrong, `${op.path} wrong method`);
    }
    assertProblem(await t.app.inject({ method: 'GET', url: '/no/such/route' }), 'unknown route');
    assertProblem(await t.app.inject({ method: 'GET', url: '/api/v1/auth/%E0%A4%A' }), 'bad percent-encoding');
  });
});
