import { spawn } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { loadPg } from '../storage/db.js';
import { BackupError } from './errors.js';
import { compareCounts, type BackupEngine, type Check } from './engine.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The URL without its password (passed to the tools in PGPASSWORD, never on a command line). */
function connection(url: string, database?: string): { url: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  if (database) u.pathname = `/${database}`;
  // libpq reads `+` literally: query values are re-encoded with %20 for spaces (`options=-c search_path=…`).
  const query = [...u.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  u.search = '';
  return { url: `${u.toString()}${query ? `?${query}` : ''}`, env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/** Runs pg_dump or pg_restore; a missing tool is named with how to install it. */
function run(tool: 'pg_dump' | 'pg_restore', args: string[], env: NodeJS.ProcessEnv, secret: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new BackupError('tool_missing', `${tool} is not installed or not on the PATH: install the PostgreSQL client tools of the server's major version (Debian: apt-get install postgresql-client-15)`)
          : e,
      ),
    );
    child.on('close', (code) => {
      const text = secret ? err.split(secret).join('******') : err;
      if (code === 0) resolve(out);
      else reject(new BackupError('failed', `${tool} failed (exit ${code}): ${text.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

async function countRows(client: pg.ClientBase, schema: string): Promise<Record<string, number>> {
  const { rows } = await client.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' order by table_name",
    [schema],
  );
  const out: Record<string, number> = {};
  for (const { table_name } of rows) {
    const r = await client.query<{ n: string }>(`select count(*) as n from ${quote(schema)}.${quote(table_name)}`);
    out[table_name] = Number(r.rows[0]!.n);
  }
  return out;
}

/**
 * PostgreSQL: `pg_dump` in custom format of Vigil's schema, from the same snapshot the row counts
 * are taken in; verify restores into a temporary database (needs CREATEDB); restore replaces the
 * schema with `pg_restore`.
 */
export function postgresEngine(deps: { url: string; pool: pg.Pool }): BackupEngine {
  const secret = (() => {
    const p = new URL(deps.url).password;
    return p ? decodeURIComponent(p) : undefined;
  })();
  const currentSchema = async () => (await deps.pool.query<{ s: string }>('select current_schema() as s')).rows[0]!.s;

  return {
    async create(path) {
      const client = await deps.pool.connect();
      try {
        const schema = await client.query<{ s: string }>('select current_schema() as s').then((r) => r.rows[0]!.s);
        if (!IDENT.test(schema)) throw new BackupError('unsupported', `schema name ${JSON.stringify(schema)} is not a plain identifier`);
        await client.query('begin isolation level repeatable read read only');
        const snapshot = (await client.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]!.id;
        const row_counts = await countRows(client, schema);
        const c = connection(deps.url);
        await run('pg_dump', ['--format=custom', '--no-owner', '--no-acl', `--schema=${schema}`, `--snapshot=${snapshot}`, `--file=${path}`, `--dbname=${c.url}`], c.env, secret);
        await client.query('commit');
        await chmod(path, 0o600);
        return { row_counts, schema };
      } catch (e) {
        await client.query('rollback').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async verifyRestore(path, manifest) {
      const name = `vigil_verify_${randomBytes(6).toString('hex')}`;
      try {
        await deps.pool.query(`create database ${name}`);
      } catch (e) {
        return [{ name: 'restore', ok: false, detail: `cannot create a temporary database to restore into (the role needs CREATEDB): ${(e as Error).message}` }];
      }
      const checks: Check[] = [];
      try {
        const c = connection(deps.url, name);
        // pg_dump --schema writes CREATE SCHEMA, also for public, which a new database already has.
        const fresh = new (loadPg().Client)({ connectionString: c.url, password: secret });
        await fresh.connect();
        try {
          await fresh.query(`drop schema if exists ${quote(manifest.schema ?? 'public')} cascade`);
        } finally {
          await fresh.end();
        }
        try {
          await run('pg_restore', ['--no-owner', '--no-acl', '--exit-on-error', `--dbname=${c.url}`, path], c.env, secret);
          checks.push({ name: 'restore', ok: true, detail: 'pg_restore into a temporary database succeeded' });
        } catch (e) {
          if (e instanceof BackupError && e.kind === 'failed') return [{ name: 'restore', ok: false, detail: e.message }];
          throw e;
        }
        const client = new (loadPg().Client)({ connectionString: c.url, password: secret });
        await client.connect();
        try {
          checks.push(compareCounts(manifest.row_counts, await countRows(client, manifest.schema ?? 'public')));
        } finally {
          await client.end();
        }
        return checks;
      } finally {
        await deps.pool.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
      }
    },
    async restore(path, manifest) {
      const schema = manifest.schema ?? 'public';
      if (schema !== (await currentSchema())) throw new BackupError('unsupported', `the backup is of schema ${schema}, the database's current schema is ${await currentSchema()}`);
      if (!IDENT.test(schema)) throw new BackupError('unsupported', `schema name ${JSON.stringify(schema)} is not a plain identifier`);
      const c = connection(deps.url);
      // Does the archive create the schema itself (any schema but public)? Then drop it whole.
      const toc = await run('pg_restore', ['--list', path], c.env, secret);
      const createsSchema = new RegExp(`\\bSCHEMA - ${schema}\\b`).test(toc);
      await deps.pool.query(`drop schema if exists ${quote(schema)} cascade`);
      if (!createsSchema) await deps.pool.query(`create schema ${quote(schema)}`);
      await run('pg_restore', ['--no-owner', '--no-acl', '--exit-on-error', `--dbname=${c.url}`, path], c.env, secret);
    },
    async rowCounts() {
      const client = await deps.pool.connect();
      try {
        return await countRows(client, await client.query<{ s: string }>('select current_schema() as s').then((r) => r.rows[0]!.s));
      } finally {
        client.release();
      }
    },
  };
}
