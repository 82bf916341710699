import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, type DatabaseConnection, type Dialect, type Driver } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DB } from '../../src/storage/index.js';
import type { Database } from '../../src/storage/index.js';
import { makeTestApp, type TestApp } from '../support/services.js';

const ADMIN_KEY = 'admin-key-for-timeout-tests-0123456789';
const TIMEOUT_MS = 300;

/**
 * In-memory SQLite whose queries can be held: while `hang()` is in force no query gets a
 * connection (as with a PostgreSQL that accepts connections and never answers); `release()` lets
 * them all through.
 */
function holdableDatabase(): Database & { hang(): void; release(): void } {
  const sqlite = new SqliteDatabase(':memory:');
  const inner = new SqliteDialect({ database: sqlite });
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const dialect: Dialect = {
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createDriver: () => {
      const driver = inner.createDriver();
      return new Proxy(driver, {
        get(target, prop) {
          if (prop === 'acquireConnection') {
            return async (): Promise<DatabaseConnection> => {
              while (gate) await gate;
              return target.acquireConnection();
            };
          }
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) as Driver;
    },
  };
  const db = new Kysely<DB>({ dialect });
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    pool: undefined,
    close: () => db.destroy(),
    hang() {
      gate ??= new Promise<void>((resolve) => (open = resolve));
    },
    release() {
      const resolve = open;
      gate = undefined;
      open = undefined;
      resolve?.();
    },
  };
}

describe('health with a database that never answers (real socket)', () => {
  let t: TestApp;
  let database: ReturnType<typeof holdableDatabase>;
  let base: string;

  beforeAll(async () => {
    database = holdableDatabase();
    t = await makeTestApp({ ADMIN_API_KEY: ADMIN_KEY, HEALTH_CHECK_TIMEOUT: `${TIMEOUT_MS}ms` }, { database });
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    // Warm up every route once (schemas compiled, serializers built) while the database answers.
    for (const path of ['/health', '/health/ready', '/health/detailed']) await fetch(base + path, { headers: { 'x-api-key': ADMIN_KEY } });
    database.hang();
  });
  afterAll(async () => {
    database.release();
    await t.close();
  });

  const timed = async (path: string) => {
    const begin = performance.now();
    const res = await fetch(base + path, { headers: { 'x-api-key': ADMIN_KEY } });
    const body = (await res.json()) as Record<string, any>;
    return { status: res.status, body, ms: performance.now() - begin };
  };

  it('/health still answers at once from memory', async () => {
    const { status, ms } = await timed('/health');
    expect(status).toBe(200);
    expect(ms).toBeLessThan(TIMEOUT_MS / 2);
  });

  it('/health/ready answers 503 within the timeout + 100 ms, naming the checks that timed out', async () => {
    const { status, body, ms } = await timed('/health/ready');
    expect(status).toBe(503);
    expect(body.code).toBe('not_ready');
    expect(body.checks.database.status).toBe('timeout');
    expect(body.checks.migrations.status).toBe('timeout');
    expect(body.detail).toBe('Failing checks: database (timeout), migrations (timeout)');
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(TIMEOUT_MS + 100);
  });

  it('/health/detailed answers 200 within the timeout + 100 ms: every database section is `timeout`, the rest is there', async () => {
    const { status, body, ms } = await timed('/health/detailed');
    expect(status).toBe(200);
    expect(ms).toBeLessThan(TIMEOUT_MS + 100);
    expect(body.status).toBe('degraded');
    expect(body.dependencies.database).toMatchObject({ status: 'timeout' });
    expect(body.dependencies.migrations).toMatchObject({ status: 'timeout' });
    expect(body.token_blacklist).toEqual({ status: 'timeout' });
    expect(body.locked_accounts).toEqual({ status: 'timeout' });
    expect(body.blocked_ips).toEqual({ status: 'ok', count: 0 });
    expect(body.resources.status).toBe('ok');
  });

  it('answers again as soon as the database does', async () => {
    database.release();
    const { status, body } = await timed('/health/ready');
    expect(status).toBe(200);
    expect(body.checks.database.status).toBe('ok');
  });
});
