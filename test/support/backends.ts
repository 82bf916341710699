import { openDatabase, type Database } from '../../src/storage/index.js';
import { freshPostgresSchema, runPostgres } from './postgres.js';

/** A database a contract suite runs against: SQLite always, PostgreSQL (a fresh schema) when reachable. */
export interface Backend {
  name: string;
  enabled: boolean;
  open(): Promise<{ database: Database; drop(): Promise<void> }>;
}

export const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    enabled: true,
    async open() {
      return { database: openDatabase({ kind: 'sqlite', url: 'sqlite::memory:', path: ':memory:', poolMax: 1, ssl: false, autoMigrate: true, allowSqliteInProduction: false }), drop: async () => undefined };
    },
  },
  {
    name: 'postgres',
    enabled: runPostgres,
    async open() {
      const schema = await freshPostgresSchema();
      const database = openDatabase({ kind: 'postgres', url: schema.url, poolMax: 10, ssl: false, autoMigrate: true, allowSqliteInProduction: false });
      return { database, drop: schema.drop };
    },
  },
];
