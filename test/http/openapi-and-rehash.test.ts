import { afterEach, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document generated from the route schemas, and a docs page', async () => {
    t = await makeTestApp();
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/health', '/.well-known/jwks.json', '/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/admin/config']));
    const login = spec.paths['/api/v1/auth/login'].post;
    expect(login.requestBody.content['application/json'].schema.required).toEqual(['email', 'password']);
    expect(Object.keys(login.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
    expect(spec.components.securitySchemes).toHaveProperty('bearerAuth');
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });
});

describe('password hash parameters', () => {
  it('are upgraded on the next successful login when the configuration changes', async () => {
    const url = `sqlite:/tmp/vigil-rehash-${process.pid}-${Date.now()}.db`;
    t = await makeTestApp({ DATABASE_URL: url });
    const user = await t.services.auth.createUser({ email: 'old@example.com', password: STRONG_PASSWORD, role: 'user' }, {});
    expect(user.password_hash).toContain('m=1024,t=1,p=1');
    await t.close();
    t = await makeTestApp({ DATABASE_URL: url, PASSWORD_HASH_MEMORY_KIB: '2048', PASSWORD_HASH_ITERATIONS: '2' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'old@example.com', password: STRONG_PASSWORD } });
    expect(res.statusCode).toBe(200);
    const stored = await t.services.database.db.selectFrom('users').select(['password_hash', 'password_changed_at']).where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(stored.password_hash).toContain('m=2048,t=2,p=1');
    expect(stored.password_changed_at).toBe(user.password_changed_at);
    // The upgraded hash still verifies.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'old@example.com', password: STRONG_PASSWORD } })).statusCode).toBe(200);
  });
});
