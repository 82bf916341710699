import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { loadConfig, type Env } from '../../src/config/index.js';
import { createServices } from '../../src/services.js';
import { openDatabase, type Database } from '../../src/storage/index.js';
import { cliBackends, json, tempWorkspace, vigil } from '../cli/harness.js';

const DAY = 86_400_000;

const backends = cliBackends((dir) => ({ BACKUP_DIR: join(dir, 'backups') }));

/** Every table's rows, hashed in a stable order: equal checksums mean equal contents. */
async function checksums(database: Database): Promise<Record<string, string>> {
  const db = database.db as unknown as Kysely<unknown>;
  const tables =
    database.dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)).rows.map((r) => r.name)
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)).rows.map((r) => r.name);
  const out: Record<string, string> = {};
  for (const t of tables.sort()) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(t)}`.execute(db)).rows;
    const lines = rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k] instanceof Date ? (r[k] as Date).toISOString() : r[k]]))).sort();
    out[t] = `${rows.length}:${createHash('sha256').update(lines.join('\n')).digest('hex')}`;
  }
  return out;
}

const openFor = (env: Env) => openDatabase(loadConfig(env).database);

async function seed(env: Env): Promise<void> {
  const database = openFor(env);
  const now = Date.now();
  try {
    await database.db.insertInto('users').values(Array.from({ length: 25 }, (_, i) => ({
      id: `u-${i}`, email: `user${i}@example.com`, name: i % 3 === 0 ? null : `Zoë ‘${i}’ — 名前`, password_hash: `$argon2id$${i}`, role: i === 0 ? 'admin' : 'user',
      created_at: now - i * DAY, updated_at: now, password_changed_at: now, last_login_at: i % 2 ? now : null, disabled_at: null, locked_until: null,
    }))).execute();
    await database.db.insertInto('refresh_tokens').values(Array.from({ length: 40 }, (_, i) => ({
      id: `rt-${i}`, token_hash: `h-${i}`, user_id: `u-${i % 25}`, family_id: `f-${i % 10}`, parent_id: i > 10 ? `rt-${i - 10}` : null, created_at: now, expires_at: now + DAY,
      rotated_at: null, revoked_at: i % 4 === 0 ? now : null, revoke_reason: i % 4 === 0 ? 'logout' : null, ip: '203.0.113.7', user_agent: 'curl/8 "quoted"',
    }))).execute();
    await database.db.insertInto('token_blacklist').values(Array.from({ length: 30 }, (_, i) => ({ jti: `j-${i}`, user_id: `u-${i % 25}`, expires_at: now + (i - 15) * DAY, reason: 'logout', created_at: now }))).execute();
    await database.db.insertInto('security_events').values(Array.from({ length: 60 }, (_, i) => ({ time: now - i, type: 'LOGIN_FAILED', severity: 'low', ip: '198.51.100.1', user_id: null, request_id: `r-${i}`, details: JSON.stringify({ email: `x${i}@e.com`, n: i }) }))).execute();
    await database.db.insertInto('settings').values({ key: 'emergency', value: '{"enabled":false}', updated_at: now, updated_by: null }).execute();
  } finally {
    await database.close();
  }
}

for (const backend of backends) {
  describe.skipIf(!backend.enabled)(`backups on ${backend.name}`, () => {
    let env: Env;
    let cwd: string;
    let drop: () => Promise<void>;
    let original: Record<string, string>;
    let backupFile: string;

    beforeAll(async () => {
      ({ env, cwd, drop } = await backend.open());
      env = { ...env, JOBS_ENABLED: 'false' };
      expect((await vigil(['migrate'], env, cwd)).code).toBe(0);
      await seed(env);
      const database = openFor(env);
      original = await checksums(database);
      await database.close();
    }, 60_000);
    afterAll(async () => drop?.());

    it('create writes a 0600 backup with a manifest (version, schema version, row counts, size, SHA-256)', async () => {
      const r = await vigil(['backup', 'create', '--json'], env, cwd);
      expect(r.code, r.stderr).toBe(0);
      const m = json<{ path: string; file: string; size: number; sha256: string; row_counts: Record<string, number>; schema_version: string; vigil_version: string; dialect: string }>(r);
      backupFile = m.file;
      expect(statSync(m.path).mode & 0o777).toBe(0o600);
      expect(statSync(`${m.path}.manifest.json`).mode & 0o777).toBe(0o600);
      expect(m.size).toBe(statSync(m.path).size);
      expect(m.sha256).toBe(createHash('sha256').update(readFileSync(m.path)).digest('hex'));
      expect(m.dialect).toBe(backend.name);
      expect(m.schema_version).toMatch(/^\d{3}_/);
      expect(m.row_counts).toMatchObject({ users: 25, refresh_tokens: 40, token_blacklist: 30, security_events: 60, settings: 1 });
      for (const [table, sum] of Object.entries(original)) expect(m.row_counts[table], table).toBe(Number(sum.split(':')[0]));
    }, 60_000);

    it('verify passes on a good backup: checksum, restore into a temporary database, integrity, row counts', async () => {
      const r = await vigil(['backup', 'verify', '--latest'], env, cwd);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('ok    checksum');
      expect(r.stdout).toMatch(/ok {4}row counts: \d+ tables, \d+ rows, as in the manifest/);
      expect(r.stdout).toContain('Backup verified.');
    }, 60_000);

    it('restore refuses while a Vigil instance uses the database', async () => {
      const services = await createServices(loadConfig(env), { migrate: false });
      await services.maintenance.start();
      try {
        const r = await vigil(['backup', 'restore', backupFile], env, cwd);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/the database is in use by 1 Vigil instance\(s\): .*Stop them first \(or pass --force/);
      } finally {
        await services.close();
      }
    }, 60_000);

    it('backup → restore preserves every row of every table (per-table checksums)', async () => {
      // Change the data after the backup: deletions, insertions, updates.
      const database = openFor(env);
      await database.db.deleteFrom('refresh_tokens').execute();
      await database.db.deleteFrom('users').where('id', '!=', 'u-0').execute();
      await database.db.insertInto('token_blacklist').values({ jti: 'after-backup', user_id: null, expires_at: 1, reason: 'x', created_at: 1 }).execute();
      await database.db.updateTable('settings').set({ value: 'changed' }).execute();
      expect(await checksums(database)).not.toEqual(original);
      await database.close();

      const r = await vigil(['backup', 'restore', backupFile, '--json'], env, cwd);
      expect(r.code, r.stderr).toBe(0);
      const result = json<{ safety_backup: string; verify: { ok: boolean } }>(r);
      expect(result.verify.ok).toBe(true);
      expect(result.safety_backup).toMatch(/pre-restore/);
      expect(existsSync(join(env.BACKUP_DIR!, result.safety_backup))).toBe(true);

      const after = openFor(env);
      try {
        expect(await checksums(after)).toEqual(original);
      } finally {
        await after.close();
      }
    }, 120_000);

    it('a corrupted backup fails verify with a clear message', async () => {
      const path = join(env.BACKUP_DIR!, backupFile);
      const corrupt = path.replace(/\d{3}Z\./, '999Z.');
      copyFileSync(path, corrupt);
      copyFileSync(`${path}.manifest.json`, `${corrupt}.manifest.json`);
      const bytes = readFileSync(corrupt);
      bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
      writeFileSync(corrupt, bytes);
      const r = await vigil(['backup', 'verify', corrupt.split('/').pop()!], env, cwd);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FAIL {2}checksum: SHA-256 mismatch \(expected [0-9a-f]{12}…, got [0-9a-f]{12}…\): the file is corrupted/);
      expect(r.stdout).toContain('Backup verification FAILED.');
    }, 60_000);

    it('a truncated backup fails verify: by size, and by the trial restore when the manifest was rewritten to match', async () => {
      const path = join(env.BACKUP_DIR!, backupFile);
      const cut = path.replace(/\d{3}Z\./, '998Z.');
      copyFileSync(path, cut);
      copyFileSync(`${path}.manifest.json`, `${cut}.manifest.json`);
      truncateSync(cut, Math.floor(statSync(cut).size * 0.6));
      const r = await vigil(['backup', 'verify', cut], env, cwd);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FAIL {2}checksum: size is \d+ bytes, the manifest says \d+: the file is truncated/);

      // A manifest that matches the cut file: the checksum passes and the restore catches it.
      const manifest = JSON.parse(readFileSync(`${cut}.manifest.json`, 'utf8')) as Record<string, unknown>;
      manifest.size = statSync(cut).size;
      manifest.sha256 = createHash('sha256').update(readFileSync(cut)).digest('hex');
      writeFileSync(`${cut}.manifest.json`, JSON.stringify(manifest));
      const deep = await vigil(['backup', 'verify', cut, '--json'], env, cwd);
      expect(deep.code).toBe(1);
      const result = json<{ ok: boolean; checks: { name: string; ok: boolean; detail: string }[] }>(deep);
      expect(result.checks[0]).toMatchObject({ name: 'checksum', ok: true });
      const failed = result.checks.find((c) => !c.ok)!;
      if (backend.name === 'sqlite') expect(failed).toMatchObject({ name: 'decompress', detail: expect.stringMatching(/cannot decompress .*: the file is truncated/) });
      else expect(failed).toMatchObject({ name: 'restore', detail: expect.stringMatching(/^pg_restore failed \(exit 1\)/) });
    }, 60_000);
  });
}

describe('backup prune', () => {
  const ws = tempWorkspace();
  const env: Env = { ...ws.env, BACKUP_DIR: join(ws.dir, 'backups'), BACKUP_RETENTION_DAYS: '30', JOBS_ENABLED: 'false' };
  afterAll(() => ws.remove());

  it('deletes exactly the backups older than the retention, with their manifests, and nothing else', async () => {
    const now = Date.now();
    const ages = { old: 31 * DAY, 'just-over': 30 * DAY + 60_000, 'just-under': 30 * DAY - 60_000, fresh: 0 };
    const files: Record<string, string> = {};
    for (const [name, age] of Object.entries(ages)) {
      const r = await vigil(['backup', 'create', '--json'], env, ws.dir);
      expect(r.code, r.stderr).toBe(0);
      const m = json<{ path: string; file: string }>(r);
      const manifest = JSON.parse(readFileSync(`${m.path}.manifest.json`, 'utf8')) as Record<string, unknown>;
      manifest.created_at = new Date(now - age).toISOString();
      writeFileSync(`${m.path}.manifest.json`, JSON.stringify(manifest));
      files[name] = m.file;
    }
    // Without a manifest its modification time counts; files that are not backups are never touched.
    const orphan = join(env.BACKUP_DIR!, 'vigil-sqlite-20200101T000000000Z.db.gz');
    writeFileSync(orphan, 'x');
    utimesSync(orphan, new Date(now - 40 * DAY), new Date(now - 40 * DAY));
    const notes = join(env.BACKUP_DIR!, 'notes.txt');
    writeFileSync(notes, 'keep me');
    utimesSync(notes, new Date(now - 400 * DAY), new Date(now - 400 * DAY));

    const dry = json<{ deleted: string[] }>(await vigil(['backup', 'prune', '--dry-run', '--json'], env, ws.dir));
    expect(dry.deleted.sort()).toEqual([files.old!, files['just-over']!, 'vigil-sqlite-20200101T000000000Z.db.gz'].sort());
    expect(existsSync(join(env.BACKUP_DIR!, files.old!))).toBe(true);

    const r = await vigil(['backup', 'prune', '--json'], env, ws.dir);
    expect(r.code, r.stderr).toBe(0);
    const result = json<{ deleted: string[]; kept: number; retention_days: number }>(r);
    expect(result.deleted.sort()).toEqual(dry.deleted.sort());
    expect(result).toMatchObject({ kept: 2, retention_days: 30 });
    for (const gone of [files.old!, files['just-over']!]) {
      expect(existsSync(join(env.BACKUP_DIR!, gone))).toBe(false);
      expect(existsSync(join(env.BACKUP_DIR!, `${gone}.manifest.json`))).toBe(false);
    }
    for (const kept of [files['just-under']!, files.fresh!]) expect(existsSync(join(env.BACKUP_DIR!, kept))).toBe(true);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(notes)).toBe(true);
  }, 60_000);
});
