import { Kysely, SqliteDialect, sql } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeQuery } from '../../src/observability/db-monitor.js';
import { runPostgres, freshPostgresSchema } from '../support/postgres.js';
import { STRONG_PASSWORD } from '../support/config.js';
import { scrape, valueOf } from '../support/metrics.js';
import { logCapture, makeTestApp, type TestApp } from '../support/services.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('describeQuery', () => {
  type Db = { users: { id: string; email: string }; refresh_tokens: { id: string } };
  const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
  afterAll(() => db.destroy());

  it('names the operation and the main table from the query tree', () => {
    expect(describeQuery(db.selectFrom('users').select('id').where('email', '=', 'a@example.com').compile())).toEqual({ operation: 'select', table: 'users' });
    expect(describeQuery(db.selectFrom('users as u').innerJoin('refresh_tokens as r', 'r.id', 'u.id').select('u.id').compile())).toEqual({ operation: 'select', table: 'users' });
    expect(describeQuery(db.insertInto('refresh_tokens').values({ id: 'x' }).compile())).toEqual({ operation: 'insert', table: 'refresh_tokens' });
    expect(describeQuery(db.updateTable('users').set({ email: 'b@example.com' }).compile())).toEqual({ operation: 'update', table: 'users' });
    expect(describeQuery(db.deleteFrom('users').where('id', '=', 'x').compile())).toEqual({ operation: 'delete', table: 'users' });
    expect(describeQuery(sql`select 1`.compile(db))).toEqual({ operation: 'select', table: 'none' });
    expect(describeQuery(sql`pragma optimize`.compile(db))).toEqual({ operation: 'other', table: 'none' });
    expect(describeQuery(db.schema.createTable('t').addColumn('id', 'text').compile())).toEqual({ operation: 'other', table: 't' });
  });
});

describe('slow queries', () => {
  it('DB_SLOW_QUERY_MS=0 logs every query by the db logger with operation, table and duration, never the SQL or its values', async () => {
    const capture = logCapture();
    t = await makeTestApp({ DB_SLOW_QUERY_MS: '0', LOG_LEVEL: 'warn' }, { logDestination: capture.stream });
    const email = 'slow.query@example.com';
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: STRONG_PASSWORD } });
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: STRONG_PASSWORD } });
    expect(login.statusCode).toBe(200);

    const slow = capture.records().filter((r) => r.msg === 'slow query');
    expect(slow.length).toBeGreaterThan(3);
    for (const line of slow) {
      expect(line).toMatchObject({ level: 'warn', logger: 'db', failed: false });
      expect(Object.keys(line).sort()).toEqual(expect.arrayContaining(['operation', 'table', 'duration_ms']));
      expect(typeof line.duration_ms).toBe('number');
      expect(line).not.toHaveProperty('sql');
      expect(line).not.toHaveProperty('parameters');
    }
    expect(slow).toContainEqual(expect.objectContaining({ operation: 'select', table: 'users' }));
    expect(slow).toContainEqual(expect.objectContaining({ operation: 'insert', table: 'refresh_tokens' }));
    // Neither the parameter values (email, hashes, ids, the client address) nor the SQL text appear.
    const text = slow.map((l) => JSON.stringify(l)).join('\n');
    const userId = (await t.services.users.findByEmail(email))!.id;
    for (const secret of [email, userId, STRONG_PASSWORD, '$argon2id', '127.0.0.1', 'where', 'WHERE', 'from "', 'values']) expect(text).not.toContain(secret);
  });

  it('the default threshold (500 ms) logs nothing for ordinary queries', async () => {
    const capture = logCapture();
    t = await makeTestApp({ LOG_LEVEL: 'warn' }, { logDestination: capture.stream });
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'fast@example.com', password: STRONG_PASSWORD } });
    expect(capture.records().filter((r) => r.msg === 'slow query')).toEqual([]);
  });
});

describe.runIf(runPostgres)('PostgreSQL pool gauges', () => {
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  beforeAll(async () => {
    schema = await freshPostgresSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it('vigil_db_pool_connections{state}, waiting clients and the pool size, read at scrape time', async () => {
    t = await makeTestApp({ DATABASE_URL: schema.url, DATABASE_POOL_MAX: '4' });
    const pool = t.services.database.pool!;
    // Hold two connections while scraping.
    const held = await Promise.all([pool.connect(), pool.connect()]);
    try {
      const text = await scrape(t.app);
      expect(valueOf(text, 'vigil_db_pool_connections', { state: 'active' })).toBe(2);
      expect(valueOf(text, 'vigil_db_pool_connections', { state: 'idle' })).toBe(pool.idleCount);
      expect(valueOf(text, 'vigil_db_pool_waiting_clients')).toBe(0);
      expect(valueOf(text, 'vigil_db_pool_max_connections')).toBe(4);
      expect(valueOf(text, 'vigil_db_up')).toBe(1);
      expect(valueOf(text, 'vigil_db_query_duration_seconds_count', { operation: 'select', table: 'none' })).toBeGreaterThan(0);
    } finally {
      for (const c of held) c.release();
    }
  });
});
