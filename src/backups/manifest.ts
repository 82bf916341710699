import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dialect } from '../storage/index.js';

/** Written next to each backup as `<file>.manifest.json`. */
export interface BackupManifest {
  format: 1;
  file: string;
  dialect: Dialect;
  /** SQLite: the online backup, gzipped. PostgreSQL: pg_dump's custom format (compressed). */
  kind: 'sqlite-gzip' | 'pg-custom';
  vigil_version: string;
  /** The last migration applied when the backup was taken. */
  schema_version: string | null;
  /** PostgreSQL: the schema dumped. */
  schema?: string;
  created_at: string;
  size: number;
  sha256: string;
  /** Rows of every table, counted in the backup's own snapshot. */
  row_counts: Record<string, number>;
  /** Why it was taken: `manual`, `scheduled`, `pre-restore`. */
  label: string;
}

export const BACKUP_FILE = /^vigil-[a-z0-9-]+-\d{8}T\d{9}Z\.(db\.gz|pgdump)$/;
export const manifestPath = (file: string) => `${file}.manifest.json`;

/** `vigil-<dialect>-20260101T010000123Z.<ext>`: sortable, unique per millisecond. */
export function backupName(dialect: Dialect, at: number, label: string): string {
  const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace('.', '');
  const tag = label === 'pre-restore' ? `${dialect}-pre-restore` : dialect;
  return `vigil-${tag}-${stamp}.${dialect === 'sqlite' ? 'db.gz' : 'pgdump'}`;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function writeManifest(path: string, manifest: BackupManifest): Promise<void> {
  await writeFile(manifestPath(path), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

/** The manifest of a backup file, or undefined when it has none or it cannot be read. */
export async function readManifest(path: string): Promise<BackupManifest | undefined> {
  try {
    const value = JSON.parse(await readFile(manifestPath(path), 'utf8')) as BackupManifest;
    return value && typeof value === 'object' && typeof value.sha256 === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface BackupEntry {
  file: string;
  path: string;
  size: number;
  /** From the manifest, else the file's modification time. */
  created_at: number;
  manifest: BackupManifest | undefined;
}

/** Every backup file in `dir`, newest first ([] when the directory does not exist). */
export async function listBackups(dir: string): Promise<BackupEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const entries: BackupEntry[] = [];
  for (const file of names.filter((n) => BACKUP_FILE.test(n))) {
    const path = join(dir, file);
    const info = await stat(path);
    const manifest = await readManifest(path);
    const created = manifest ? Date.parse(manifest.created_at) : NaN;
    entries.push({ file, path, size: info.size, created_at: Number.isFinite(created) ? created : info.mtimeMs, manifest });
  }
  return entries.sort((a, b) => b.created_at - a.created_at || b.file.localeCompare(a.file));
}
