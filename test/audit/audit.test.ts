import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config/index.js';
import { json, servicesFor, tempWorkspace, vigil } from '../cli/harness.js';

const DAY = 86_400_000;

interface Finding {
  id: string;
  severity: string;
  title: string;
  detail: string;
  fix?: string;
}
interface Report {
  findings: Finding[];
  counts: Record<string, number>;
  passed: boolean;
}

describe('vigil audit', () => {
  const ws = tempWorkspace();
  const keyFile = join(ws.dir, 'vigil.key');
  const env: Env = { ...ws.env, SIGNING_KEY_FILE: keyFile, BACKUP_DIR: join(ws.dir, 'backups'), JOBS_ENABLED: 'false' };
  const audit = async (extra: Env = {}) => {
    const r = await vigil(['audit', '--json'], { ...env, ...extra }, ws.dir);
    return { code: r.code, report: json<Report>(r), stderr: r.stderr };
  };
  const ids = (r: Report) => r.findings.map((f) => f.id);

  beforeAll(async () => {
    expect((await vigil(['migrate'], env, ws.dir)).code).toBe(0);
  });
  afterAll(() => ws.remove());

  it('a fresh development install: medium findings (no admin, no backups, cleanup never ran), exit 0', async () => {
    const { code, report } = await audit();
    expect(code).toBe(0);
    expect(report.passed).toBe(true);
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'accounts.no_admin', severity: 'medium', fix: expect.stringContaining('vigil user create-admin') }),
        expect.objectContaining({ id: 'operations.no_backups', severity: 'medium' }),
        expect.objectContaining({ id: 'operations.cleanup_not_running', severity: 'medium' }),
      ]),
    );
    expect(report.counts.high).toBe(0);
    // Sorted by severity.
    const order = ['high', 'medium', 'low', 'info'];
    const ranks = report.findings.map((f) => order.indexOf(f.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('no backups is high in production', async () => {
    const { report } = await audit({ ENVIRONMENT: 'production', ALLOW_SQLITE_IN_PRODUCTION: 'true', DATABASE_AUTO_MIGRATE: 'false' });
    expect(report.findings).toContainEqual(expect.objectContaining({ id: 'operations.no_backups', severity: 'high' }));
  });

  it('finds open secret files, old keys, default users, emergency mode, a stale backup and a cleanup that does not run; exit 1', async () => {
    writeFileSync(keyFile, 'k'.repeat(64), { mode: 0o644 });
    chmodSync(keyFile, 0o644);
    writeFileSync(join(ws.dir, '.env'), 'LOG_LEVEL=silent\n', { mode: 0o644 });
    chmodSync(join(ws.dir, '.env'), 0o644);
    const services = await servicesFor(env);
    const now = Date.now();
    try {
      const db = services.database.db;
      await db.insertInto('users').values({ id: 'u-default', email: 'admin@vigil.local', name: 'Default admin', password_hash: 'x', role: 'admin', created_at: now, updated_at: now, password_changed_at: now, last_login_at: null, disabled_at: null, locked_until: null }).execute();
      await db.insertInto('api_keys').values({ id: 'k-old', name: 'old-integration', prefix: 'vgl_old', key_hash: 'h', scope: 'public', created_at: now - 100 * DAY, expires_at: null, last_used_at: null, revoked_at: null, created_by: null }).execute();
      await db.updateTable('signing_keys').set({ created_at: now - 120 * DAY }).execute();
      // 90 % of the blacklist expired: seed 000 §5 says the cleanup is not running.
      await db.insertInto('token_blacklist').values(Array.from({ length: 10 }, (_, i) => ({ jti: `j-${i}`, user_id: null, expires_at: i === 0 ? now + DAY : now - DAY, reason: 'x', created_at: now }))).execute();
    } finally {
      await services.close();
    }
    expect((await vigil(['emergency', 'on'], env, ws.dir)).code).toBe(0);
    const made = json<{ path: string }>(await vigil(['backup', 'create', '--json'], env, ws.dir));
    const manifest = JSON.parse(readFileSync(`${made.path}.manifest.json`, 'utf8')) as Record<string, unknown>;
    manifest.created_at = new Date(now - 3 * DAY).toISOString();
    writeFileSync(`${made.path}.manifest.json`, JSON.stringify(manifest));

    const { code, report } = await audit();
    expect(code).toBe(1);
    expect(report.passed).toBe(false);
    const byId = Object.fromEntries(report.findings.map((f) => [f.id, f]));
    expect(byId['files.signing_key_file']).toMatchObject({ severity: 'high', title: expect.stringContaining('mode 0644'), fix: `chmod 600 ${keyFile}` });
    expect(byId['files.env_file']).toMatchObject({ severity: 'high' });
    expect(byId['accounts.default_user']).toMatchObject({ severity: 'high', title: 'default account admin@vigil.local exists' });
    expect(byId['keys.api_key_age']).toMatchObject({ severity: 'medium', title: 'API key "old-integration" is 100 days old' });
    expect(byId['keys.signing_key_age']).toMatchObject({ severity: 'medium', fix: 'vigil keys rotate' });
    expect(byId['operations.emergency_mode']).toMatchObject({ severity: 'medium' });
    expect(byId['operations.stale_backup']).toMatchObject({ severity: 'high', title: 'the newest backup is 3 days old' });
    expect(byId['operations.cleanup_not_running']).toMatchObject({ severity: 'high', detail: '9 of 10 blacklist entries are expired (90.0%)' });
    expect(ids(report)).not.toContain('accounts.no_admin');
    expect(ids(report)).not.toContain('operations.no_backups');

    // The text output names each finding with its fix.
    const text = await vigil(['audit'], env, ws.dir);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('[HIGH] the signing key file is readable by others (mode 0644)');
    expect(text.stdout).toContain(`  fix: chmod 600 ${keyFile}`);
  }, 60_000);

  it('the findings go away once fixed', async () => {
    chmodSync(keyFile, 0o600);
    chmodSync(join(ws.dir, '.env'), 0o600);
    expect((await vigil(['cleanup', 'tokens'], env, ws.dir)).code).toBe(0);
    expect((await vigil(['backup', 'create'], env, ws.dir)).code).toBe(0);
    expect((await vigil(['emergency', 'off'], env, ws.dir)).code).toBe(0);
    const { report } = await audit();
    for (const id of ['files.signing_key_file', 'files.env_file', 'operations.stale_backup', 'operations.cleanup_not_running', 'operations.emergency_mode']) expect(ids(report)).not.toContain(id);
    expect(ids(report)).toContain('accounts.default_user');
  }, 60_000);
});
