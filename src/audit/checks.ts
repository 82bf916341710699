import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { BackupEntry } from '../backups/index.js';
import { productionReadiness, type Config } from '../config/index.js';
import type { DB } from '../storage/index.js';

export type FindingSeverity = 'high' | 'medium' | 'low' | 'info';

/** One result of the audit: what was checked, what is wrong (or right), and how to fix it. */
export interface Finding {
  id: string;
  severity: FindingSeverity;
  title: string;
  detail: string;
  fix?: string;
}

const DAY = 86_400_000;
/** Keys and API keys are rotated at 90 days (seed 004's hardening list). */
export const ROTATE_AFTER_DAYS = 90;
/** The accounts `CREATE_DEFAULT_USERS` creates. */
export const DEFAULT_USER_EMAILS = ['admin@vigil.local', 'user@vigil.local'];

/** What the audit reads (each narrow, so a test can give its own). */
export interface AuditSources {
  config: Config;
  db: Kysely<DB>;
  now: number;
  emergencyEnabled: boolean;
  backups: () => Promise<BackupEntry[]>;
  /** Last successful finish of each job (epoch ms). */
  lastSuccess: () => Promise<Map<string, number | null>>;
  /** Expired blacklist entries and the total. */
  blacklist: () => Promise<{ total: number; expired: number }>;
  /** The `.env` file the configuration was read from, if any. */
  envFile: string | undefined;
}

/** Production readiness: a failing rule is high in production, medium elsewhere. */
export function configFindings(s: AuditSources): Finding[] {
  const prod = s.config.environment === 'production';
  return productionReadiness(s.config)
    .filter((i) => i.status !== 'pass')
    .map((i) => ({
      id: `config.${i.id}`,
      severity: i.status === 'fail' ? (prod ? 'high' : 'medium') : 'low',
      title: i.message,
      detail: `production check "${i.id}" ${i.status === 'fail' ? 'fails' : 'warns'}`,
      ...(i.fix ? { fix: i.fix } : {}),
    }));
}

async function modeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o777;
  } catch {
    return undefined;
  }
}

/** Secrets on disk must be 0600 and the data directory 0700: nobody else may read them. */
export async function fileFindings(s: AuditSources): Promise<Finding[]> {
  const files: { id: string; path: string; what: string }[] = [{ id: 'signing_key_file', path: s.config.jwt.keyFile, what: 'the signing key file' }];
  if (s.config.database.kind === 'sqlite' && s.config.database.path !== ':memory:') files.push({ id: 'database_file', path: s.config.database.path, what: 'the SQLite database' });
  if (s.envFile) files.push({ id: 'env_file', path: s.envFile, what: 'the .env file (it holds secrets)' });
  const out: Finding[] = [];
  for (const f of files) {
    const mode = await modeOf(f.path);
    if (mode === undefined) continue;
    if ((mode & 0o077) !== 0) {
      out.push({ id: `files.${f.id}`, severity: 'high', title: `${f.what} is readable by others (mode ${mode.toString(8).padStart(4, '0')})`, detail: resolve(f.path), fix: `chmod 600 ${f.path}` });
    }
  }
  const dataDir = dirname(resolve(s.config.database.kind === 'sqlite' && s.config.database.path !== ':memory:' ? s.config.database.path : s.config.jwt.keyFile));
  const dirMode = await modeOf(dataDir);
  if (dirMode !== undefined && (dirMode & 0o077) !== 0) {
    out.push({ id: 'files.data_dir', severity: 'medium', title: `the data directory is open to others (mode ${dirMode.toString(8).padStart(4, '0')})`, detail: dataDir, fix: `chmod 700 ${dataDir}` });
  }
  const backupMode = await modeOf(s.config.backups.dir);
  if (backupMode !== undefined && (backupMode & 0o077) !== 0) {
    out.push({ id: 'files.backup_dir', severity: 'medium', title: `the backup directory is open to others (mode ${backupMode.toString(8).padStart(4, '0')})`, detail: resolve(s.config.backups.dir), fix: `chmod 700 ${s.config.backups.dir}` });
  }
  return out;
}

/** Signing keys and API keys older than 90 days should be rotated. */
export async function keyAgeFindings(s: AuditSources): Promise<Finding[]> {
  const out: Finding[] = [];
  const limit = s.now - ROTATE_AFTER_DAYS * DAY;
  if (s.config.jwt.algorithm !== 'HS256') {
    const current = await s.db.selectFrom('signing_keys').select(['kid', 'created_at']).where('retired_at', 'is', null).orderBy('created_at', 'desc').executeTakeFirst();
    if (current && current.created_at < limit) {
      out.push({ id: 'keys.signing_key_age', severity: 'medium', title: `the signing key is ${Math.floor((s.now - current.created_at) / DAY)} days old`, detail: `kid ${current.kid}`, fix: 'vigil keys rotate' });
    }
  }
  const keys = await s.db.selectFrom('api_keys').select(['name', 'prefix', 'created_at']).where('revoked_at', 'is', null).where('created_at', '<', limit).execute();
  for (const k of keys) {
    out.push({ id: 'keys.api_key_age', severity: 'medium', title: `API key "${k.name}" is ${Math.floor((s.now - k.created_at) / DAY)} days old`, detail: `prefix ${k.prefix}`, fix: 'create a new key (vigil apikey create), move clients to it, then revoke this one' });
  }
  return out;
}

/** At least one admin, not too many, and no default accounts left from CREATE_DEFAULT_USERS. */
export async function accountFindings(s: AuditSources): Promise<Finding[]> {
  const out: Finding[] = [];
  const admins = await s.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('role', '=', 'admin').where('disabled_at', 'is', null).executeTakeFirstOrThrow();
  const n = Number(admins.n);
  if (n === 0) out.push({ id: 'accounts.no_admin', severity: 'medium', title: 'no active admin account', detail: 'nobody can use the admin API with a user token', fix: 'vigil user create-admin <email>' });
  else if (n > 5) out.push({ id: 'accounts.many_admins', severity: 'low', title: `${n} admin accounts`, detail: 'each admin is a way in; keep the number small', fix: 'demote or disable the admins who do not need it' });
  const defaults = await s.db.selectFrom('users').select(['email']).where('email', 'in', DEFAULT_USER_EMAILS).where('disabled_at', 'is', null).execute();
  for (const d of defaults) {
    out.push({ id: 'accounts.default_user', severity: 'high', title: `default account ${d.email} exists`, detail: 'created by CREATE_DEFAULT_USERS; its password was printed once at start', fix: `disable or delete ${d.email}, or at least change its password` });
  }
  return out;
}

/** Emergency mode, backups present and fresh, cleanup running. */
export async function operationsFindings(s: AuditSources): Promise<Finding[]> {
  const out: Finding[] = [];
  if (s.emergencyEnabled) out.push({ id: 'operations.emergency_mode', severity: 'medium', title: 'emergency mode is on', detail: 'registration is closed and only admins can sign in', fix: 'vigil emergency off, once the incident is over' });
  const backups = await s.backups();
  const prod = s.config.environment === 'production';
  if (backups.length === 0) {
    out.push({ id: 'operations.no_backups', severity: prod ? 'high' : 'medium', title: `no backups in ${s.config.backups.dir}`, detail: 'the backup job has not run, or writes elsewhere', fix: 'vigil backup create; keep JOB_BACKUP_CRON on' });
  } else {
    const age = s.now - backups[0]!.created_at;
    if (age > 2 * DAY) out.push({ id: 'operations.stale_backup', severity: 'high', title: `the newest backup is ${Math.floor(age / DAY)} days old`, detail: backups[0]!.file, fix: 'check `vigil jobs history backup`, then vigil backup create' });
  }
  const last = (await s.lastSuccess()).get('cleanup-tokens') ?? null;
  const blacklist = await s.blacklist();
  const expiredShare = blacklist.total === 0 ? 0 : blacklist.expired / blacklist.total;
  if (last === null || s.now - last > 2 * DAY) {
    // Seed 000 §5: more than 80% expired entries means the cleanup is not running.
    const severity = expiredShare > 0.8 && blacklist.total > 0 ? 'high' : 'medium';
    out.push({
      id: 'operations.cleanup_not_running',
      severity,
      title: last === null ? 'cleanup-tokens has never succeeded' : `cleanup-tokens last succeeded ${Math.floor((s.now - last) / DAY)} days ago`,
      detail: `${blacklist.expired} of ${blacklist.total} blacklist entries are expired (${(expiredShare * 100).toFixed(1)}%)`,
      fix: 'vigil cleanup tokens; check that an instance runs with JOBS_ENABLED=true (docs/runbooks: cleanup not running)',
    });
  }
  return out;
}

/** Every check, in report order. */
export const AUDIT_CHECKS: ((s: AuditSources) => Promise<Finding[]> | Finding[])[] = [configFindings, fileFindings, keyAgeFindings, accountFindings, operationsFindings];

export const SEVERITY_ORDER: FindingSeverity[] = ['high', 'medium', 'low', 'info'];

/** Runs every check; findings sorted by severity. */
export async function runAudit(s: AuditSources): Promise<{ findings: Finding[]; counts: Record<FindingSeverity, number> }> {
  const findings: Finding[] = [];
  for (const check of AUDIT_CHECKS) findings.push(...(await check(s)));
  findings.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
  const counts = { high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return { findings, counts };
}
