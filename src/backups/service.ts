import { mkdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Clock } from '../shared/clock.js';
import type { Dialect } from '../storage/index.js';
import type { BackupEngine, Check } from './engine.js';
import { BackupError } from './errors.js';
import { backupName, BACKUP_FILE, listBackups, readManifest, sha256File, writeManifest, type BackupEntry, type BackupManifest } from './manifest.js';

const DAY = 86_400_000;

export interface VerifyResult {
  ok: boolean;
  file: string;
  checks: Check[];
}

export interface RestoreResult {
  file: string;
  safety_backup: string | null;
  verify: Check;
  row_counts: Record<string, number>;
}

export interface BackupService {
  readonly dir: string;
  create(options?: { dir?: string; label?: string; onProgress?: (done: number, total: number) => void }): Promise<BackupManifest & { path: string }>;
  list(): Promise<BackupEntry[]>;
  /** Resolves a name in BACKUP_DIR, or a path; `latest` is the newest backup. */
  resolve(file: string): Promise<string>;
  verify(file: string): Promise<VerifyResult>;
  /** Deletes the backups (and their manifests) older than the retention; returns their names. */
  prune(options?: { dryRun?: boolean }): Promise<{ deleted: string[]; kept: number; retention_days: number }>;
  /** Replaces the database with a backup after a safety backup; the caller checks it is not in use. */
  restore(file: string): Promise<RestoreResult>;
}

/**
 * Backups of the configured database: create (with a manifest: version, schema version, row
 * counts, size, SHA-256), list, verify (checksum, then a restore into a temporary database),
 * prune by age, restore.
 */
export function createBackupService(deps: { engine: BackupEngine; dialect: Dialect; dir: string; retentionDays: number; clock: Clock; version: string; schemaVersion: () => Promise<string | null> }): BackupService {
  const { engine, dialect, clock } = deps;

  async function resolveFile(file: string): Promise<string> {
    if (file === 'latest') {
      const newest = (await listBackups(deps.dir))[0];
      if (!newest) throw new BackupError('not_found', `no backups in ${deps.dir}`);
      return newest.path;
    }
    const path = isAbsolute(file) || file.includes('/') ? resolve(file) : join(deps.dir, file);
    try {
      await stat(path);
    } catch {
      throw new BackupError('not_found', `no backup file ${file}`);
    }
    return path;
  }

  async function verifyPath(path: string): Promise<VerifyResult> {
    const file = path.split('/').pop()!;
    const manifest = await readManifest(path);
    if (!manifest) return { ok: false, file, checks: [{ name: 'manifest', ok: false, detail: `no readable manifest ${file}.manifest.json next to the backup` }] };
    const checks: Check[] = [];
    const size = (await stat(path)).size;
    if (size !== manifest.size) {
      checks.push({ name: 'checksum', ok: false, detail: `size is ${size} bytes, the manifest says ${manifest.size}: the file is ${size < manifest.size ? 'truncated' : 'altered'}` });
      return { ok: false, file, checks };
    }
    const sha = await sha256File(path);
    if (sha !== manifest.sha256) {
      checks.push({ name: 'checksum', ok: false, detail: `SHA-256 mismatch (expected ${manifest.sha256.slice(0, 12)}…, got ${sha.slice(0, 12)}…): the file is corrupted` });
      return { ok: false, file, checks };
    }
    checks.push({ name: 'checksum', ok: true, detail: `SHA-256 ${sha.slice(0, 12)}… matches` });
    if (manifest.dialect !== dialect) {
      checks.push({ name: 'restore', ok: false, detail: `a ${manifest.dialect} backup cannot be restored into ${dialect}` });
      return { ok: false, file, checks };
    }
    checks.push(...(await engine.verifyRestore(path, manifest)));
    return { ok: checks.every((c) => c.ok), file, checks };
  }

  async function create(options: { dir?: string; label?: string; onProgress?: (done: number, total: number) => void } = {}) {
    const dir = options.dir ?? deps.dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const at = clock.now();
    const label = options.label ?? 'manual';
    const file = backupName(dialect, at, label);
    const path = join(dir, file);
    try {
      const { row_counts, schema } = await engine.create(path, options.onProgress);
      const manifest: BackupManifest = {
        format: 1,
        file,
        dialect,
        kind: dialect === 'sqlite' ? 'sqlite-gzip' : 'pg-custom',
        vigil_version: deps.version,
        schema_version: await deps.schemaVersion(),
        ...(schema ? { schema } : {}),
        created_at: new Date(at).toISOString(),
        size: (await stat(path)).size,
        sha256: await sha256File(path),
        row_counts,
        label,
      };
      await writeManifest(path, manifest);
      return { ...manifest, path };
    } catch (e) {
      await rm(path, { force: true });
      throw e;
    }
  }

  return {
    dir: deps.dir,
    create,
    list: () => listBackups(deps.dir),
    resolve: resolveFile,
    async verify(file) {
      return verifyPath(await resolveFile(file));
    },
    async prune(options = {}) {
      const cutoff = clock.now() - deps.retentionDays * DAY;
      const all = await listBackups(deps.dir);
      const old = all.filter((b) => b.created_at < cutoff);
      if (!options.dryRun) {
        for (const b of old) {
          await rm(b.path, { force: true });
          await rm(`${b.path}.manifest.json`, { force: true });
        }
      }
      return { deleted: old.map((b) => b.file), kept: all.length - old.length, retention_days: deps.retentionDays };
    },
    async restore(file) {
      const path = await resolveFile(file);
      const name = path.split('/').pop()!;
      if (!BACKUP_FILE.test(name)) throw new BackupError('failed', `${name} is not a Vigil backup file name`);
      const verified = await verifyPath(path);
      if (!verified.ok) throw new BackupError('failed', `refusing to restore ${name}: ${verified.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('; ')}`);
      const manifest = (await readManifest(path))!;
      const safety = await create({ label: 'pre-restore' });
      await engine.restore(path, manifest);
      const counts = await engine.rowCounts();
      const problems = Object.entries(manifest.row_counts).filter(([t, n]) => counts[t] !== n);
      const verify: Check = problems.length === 0
        ? { name: 'row counts', ok: true, detail: `${Object.keys(manifest.row_counts).length} tables match the manifest` }
        : { name: 'row counts', ok: false, detail: problems.map(([t, n]) => `${t}: ${counts[t] ?? 'missing'} rows, manifest says ${n}`).join('; ') };
      return { file: name, safety_backup: safety.file, verify, row_counts: counts };
    },
  };
}
