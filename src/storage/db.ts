import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type Logger as QueryLogger, type SqliteDatabase as SqliteDialectDatabase } from 'kysely';
import type pg from 'pg';
import type { Config } from '../config/index.js';
import type { DB } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/** An open database: the Kysely handle plus what differs per dialect. */
export interface Database {
  db: Kysely<DB>;
  dialect: Dialect;
  /** The better-sqlite3 handle (online backups, pragmas); undefined on PostgreSQL. */
  sqlite: SqliteDatabase.Database | undefined;
  /** The pg pool (pool statistics); undefined on SQLite. */
  pool: pg.Pool | undefined;
  close(): Promise<void>;
}

/** pg, loaded on first use: a SQLite deployment never needs it (6 MiB of a process's memory). */
export const loadPg = (): typeof pg => createRequire(import.meta.url)('pg') as typeof pg;

// BIGINT (int8) and NUMERIC come back from pg as strings; every BIGINT here is an epoch-ms
// time or a count, well inside Number.MAX_SAFE_INTEGER.
const PG_INT8 = 20;
const pgTypes = (types: typeof pg.types) => ({
  getTypeParser: ((oid: number, format?: string) =>
    oid === PG_INT8 ? (v: string) => Number(v) : types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
});

/** Creates the SQLite file with mode 0600 (and its directory 0700) before SQLite opens it. */
function prepareSqliteFile(path: string): void {
  if (path === ':memory:') return;
  const full = resolve(path);
  mkdirSync(dirname(full), { recursive: true, mode: 0o700 });
  closeSync(openSync(full, 'a', 0o600));
  chmodSync(full, 0o600);
}

const STATEMENT_CACHE_MAX = 500;

/**
 * Kysely prepares every query anew; with better-sqlite3 that is a fifth of a simple query's cost.
 * The app issues a few dozen distinct SQL texts, so their prepared statements are kept (bounded).
 * SQLite re-prepares a cached statement by itself after a schema change.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDialectDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= STATEMENT_CACHE_MAX) statements.clear();
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/**
 * Opens the configured database. `onQuery` sees every query with its duration (the database
 * monitor: metrics and slow-query log); without it Kysely does not time queries at all.
 */
export function openDatabase(config: Config['database'], options: { onQuery?: QueryLogger } = {}): Database {
  if (config.kind === 'sqlite') {
    prepareSqliteFile(config.path);
    const sqlite = new SqliteDatabase(config.path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }), log: options.onQuery });
    return {
      db,
      dialect: 'sqlite',
      sqlite,
      pool: undefined,
      close: () => db.destroy(),
    };
  }
  const { Pool, types } = loadPg();
  const pool = new Pool({
    connectionString: config.url,
    max: config.poolMax,
    ssl: config.ssl ? { rejectUnauthorized: true } : undefined,
    types: pgTypes(types),
    connectionTimeoutMillis: 10_000,
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: options.onQuery });
  return { db, dialect: 'postgres', sqlite: undefined, pool, close: () => db.destroy() };
}
