import type { BackupManifest } from './manifest.js';

/** One step of a verification, as printed. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** How one database kind is backed up, checked and restored. */
export interface BackupEngine {
  /** Writes a consistent backup to `path` (mode 0600); returns the rows per table in it. */
  create(path: string, onProgress?: (done: number, total: number) => void): Promise<{ row_counts: Record<string, number>; schema?: string }>;
  /** Restores the backup into a temporary database, checks its integrity and row counts, drops it. */
  verifyRestore(path: string, manifest: BackupManifest): Promise<Check[]>;
  /** Replaces the live database with the backup (the caller has checked it is not in use). */
  restore(path: string, manifest: BackupManifest): Promise<void>;
  /** Rows per table of the live database (after a restore). */
  rowCounts(): Promise<Record<string, number>>;
}

/** Compares row counts with the manifest's: one check per mismatch, or one saying all match. */
export function compareCounts(expected: Record<string, number>, actual: Record<string, number>): Check {
  const problems: string[] = [];
  for (const [table, n] of Object.entries(expected)) {
    if (!(table in actual)) problems.push(`${table}: missing`);
    else if (actual[table] !== n) problems.push(`${table}: ${actual[table]} rows, manifest says ${n}`);
  }
  for (const table of Object.keys(actual)) if (!(table in expected)) problems.push(`${table}: not in the manifest`);
  const total = Object.values(expected).reduce((a, b) => a + b, 0);
  return problems.length === 0
    ? { name: 'row counts', ok: true, detail: `${Object.keys(expected).length} tables, ${total} rows, as in the manifest` }
    : { name: 'row counts', ok: false, detail: problems.join('; ') };
}
