import pg from 'pg';
import { randomBytes } from 'node:crypto';

/** The PostgreSQL the tests use; CI and the dev machines run one with trust auth. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Set by .ci/run: an unreachable service fails the suite instead of skipping it. */
export const SERVICES_REQUIRED = process.env.VIGIL_TEST_REQUIRE_SERVICES === '1';

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether PostgreSQL suites run: reachable, or required (then they run and fail loudly). */
export const runPostgres = SERVICES_REQUIRED || (await postgresReachable());

/**
 * A fresh schema for one suite: returns a DATABASE_URL whose search_path points at it, and a
 * drop function for afterAll.
 */
export async function freshPostgresSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `vigil_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}
