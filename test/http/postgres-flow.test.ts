import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaNotCurrentError } from '../../src/services.js';
import { STRONG_PASSWORD } from '../support/config.js';
import { freshPostgresSchema, runPostgres } from '../support/postgres.js';
import { makeTestApp, type TestApp } from '../support/services.js';

/** The whole auth flow on PostgreSQL, as a scaled-out deployment runs it. */
describe.skipIf(!runPostgres)('auth flow on PostgreSQL', () => {
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let t: TestApp;
  const post = (url: string, payload: object, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url, payload, headers });

  beforeAll(async () => {
    schema = await freshPostgresSchema();
    await expect(makeTestApp({ DATABASE_URL: schema.url }, { migrate: false })).rejects.toBeInstanceOf(SchemaNotCurrentError);
    t = await makeTestApp({ DATABASE_URL: schema.url });
  });
  afterAll(async () => {
    await t?.close();
    await schema?.drop();
  });

  it('register, login, concurrent refresh within grace, reuse after it, logout, and revocations reloaded by a second instance', async () => {
    const creds = { email: 'pg@example.com', password: STRONG_PASSWORD };
    expect((await post('/api/v1/auth/register', creds)).statusCode).toBe(201);
    expect((await post('/api/v1/auth/register', creds)).statusCode).toBe(409);
    const tokens = (await post('/api/v1/auth/login', creds)).json();

    const racing = await Promise.all(Array.from({ length: 5 }, () => post('/api/v1/auth/refresh', { refresh_token: tokens.refresh_token })));
    expect(racing.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    const rows = await t.services.database.db.selectFrom('refresh_tokens').select(['parent_id', 'rotated_at']).execute();
    // One original rotated once, five children of it (one rotation, four graced siblings).
    expect(rows.filter((r) => r.rotated_at !== null)).toHaveLength(1);
    expect(rows.filter((r) => r.parent_id !== null)).toHaveLength(5);

    const next = racing[0]!.json();
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${next.access_token}` } });
    expect(out.statusCode).toBe(204);

    // A second instance on the same database loads the blacklist at start.
    const second = await makeTestApp({ DATABASE_URL: schema.url });
    try {
      const me = await second.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${next.access_token}` } });
      expect(me.statusCode).toBe(401);
      const stats = await second.services.tokens.blacklistStats();
      expect(stats).toMatchObject({ total: 1, active: 1, expired: 0 });
    } finally {
      await second.close();
    }
  });
});
