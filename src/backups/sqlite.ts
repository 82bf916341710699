import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import SqliteDatabase from 'better-sqlite3';
import { BackupError } from './errors.js';
import { compareCounts, type BackupEngine, type Check } from './engine.js';

type Handle = SqliteDatabase.Database;

/** Rows of every table of an SQLite database. */
export function sqliteRowCounts(db: Handle): Record<string, number> {
  const tables = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as { name: string }[];
  const out: Record<string, number> = {};
  for (const { name } of tables) out[name] = Number((db.prepare(`select count(*) as n from "${name.replace(/"/g, '""')}"`).get() as { n: number }).n);
  return out;
}

/** Decompresses a backup to `to`, with a message that says what is wrong with a bad file. */
async function gunzipTo(from: string, to: string): Promise<void> {
  try {
    await pipeline(createReadStream(from), createGunzip(), createWriteStream(to, { mode: 0o600 }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'Z_BUF_ERROR' || /unexpected end/i.test(String((e as Error).message)) ? 'the file is truncated' : 'the file is not a valid gzip stream (corrupted)';
    throw new BackupError('failed', `cannot decompress ${basename(from)}: ${why}`);
  }
}

/** Integrity and row counts of a database file. */
function checkFile(path: string, expected: Record<string, number>): Check[] {
  let db: Handle | undefined;
  try {
    db = new SqliteDatabase(path, { readonly: true, fileMustExist: true });
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    const checks: Check[] = [{ name: 'integrity', ok: integrity.length === 1 && integrity[0] === 'ok', detail: integrity.slice(0, 5).join('; ') }];
    checks.push(compareCounts(expected, sqliteRowCounts(db)));
    return checks;
  } catch (e) {
    return [{ name: 'integrity', ok: false, detail: `not a readable SQLite database: ${(e as Error).message}` }];
  } finally {
    db?.close();
  }
}

/**
 * SQLite: the online backup API (consistent while the service writes), gzipped. A restore swaps
 * the database file: `reopen` closes the live handle first and opens the restored file after.
 */
export function sqliteEngine(deps: { handle: () => Handle; path: string; closeLive: () => Promise<void> }): BackupEngine {
  return {
    async create(path, onProgress) {
      const raw = join(dirname(path), `.${basename(path)}.tmp`);
      try {
        await deps.handle().backup(raw, {
          progress: ({ totalPages, remainingPages }) => {
            onProgress?.(totalPages - remainingPages, totalPages);
            return 1000;
          },
        });
        // The copy keeps the live database's WAL mode; a single self-contained file restores cleanly.
        const copy = new SqliteDatabase(raw);
        copy.pragma('journal_mode = DELETE');
        const row_counts = sqliteRowCounts(copy);
        copy.close();
        await pipeline(createReadStream(raw), createGzip(), createWriteStream(path, { mode: 0o600 }));
        await chmod(path, 0o600);
        return { row_counts };
      } finally {
        for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(`${raw}${suffix}`, { force: true });
      }
    },
    async verifyRestore(path, manifest) {
      const dir = await mkdtemp(join(tmpdir(), 'vigil-verify-'));
      try {
        const db = join(dir, 'restore.db');
        await gunzipTo(path, db);
        return [{ name: 'decompress', ok: true, detail: 'gzip stream complete' }, ...checkFile(db, manifest.row_counts)];
      } catch (e) {
        if (e instanceof BackupError) return [{ name: 'decompress', ok: false, detail: e.message }];
        throw e;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    async restore(path, manifest) {
      if (deps.path === ':memory:') throw new BackupError('unsupported', 'the database is in memory: there is no file to restore into');
      const staged = join(dirname(deps.path), `.${basename(deps.path)}.restore`);
      try {
        await gunzipTo(path, staged);
        const failed = checkFile(staged, manifest.row_counts).filter((c) => !c.ok);
        if (failed.length > 0) throw new BackupError('failed', `the backup does not restore cleanly: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`);
        await deps.closeLive();
        for (const suffix of ['-wal', '-shm']) await rm(`${deps.path}${suffix}`, { force: true });
        await rename(staged, deps.path);
        await chmod(deps.path, 0o600);
      } finally {
        await rm(staged, { force: true });
      }
    },
    async rowCounts() {
      const db = new SqliteDatabase(deps.path, { readonly: true, fileMustExist: true });
      try {
        return sqliteRowCounts(db);
      } finally {
        db.close();
      }
    },
  };
}
