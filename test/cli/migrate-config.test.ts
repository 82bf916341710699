import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadinessItem } from '../../src/config/index.js';
import { json, tempWorkspace, vigil } from './harness.js';

let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace();
});
afterEach(() => ws.remove());

interface StatusJson {
  migrations: { name: string; status: 'applied' | 'pending'; applied_at: string | null }[];
  applied: number;
  pending: number;
}

describe('vigil migrate', () => {
  it('reports pending migrations, applies them once, then reports them applied', async () => {
    const before = await vigil(['migrate', '--status', '--json'], ws.env, ws.dir);
    expect(before.code).toBe(0);
    const pending = json<StatusJson>(before);
    expect(pending.pending).toBeGreaterThan(0);
    expect(pending.migrations.every((m) => m.status === 'pending' && m.applied_at === null)).toBe(true);
    expect(pending.migrations.map((m) => m.name)).toContain('001_initial');

    const human = await vigil(['migrate', '--status'], ws.env, ws.dir);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/pending\s+001_initial/);
    expect(human.stdout).toContain('run `vigil migrate`');

    const applied = await vigil(['migrate', '--json'], ws.env, ws.dir);
    expect(applied.code).toBe(0);
    expect(json<{ applied: string[] }>(applied).applied).toEqual(pending.migrations.map((m) => m.name));

    const after = await vigil(['migrate', '--status', '--json'], ws.env, ws.dir);
    const status = json<StatusJson>(after);
    expect(status.pending).toBe(0);
    expect(status.migrations.every((m) => m.status === 'applied' && m.applied_at !== null)).toBe(true);

    const again = await vigil(['migrate'], ws.env, ws.dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no pending migrations');
  });

  it('other commands do not migrate when DATABASE_AUTO_MIGRATE=false; they point at `vigil migrate`', async () => {
    const env = { ...ws.env, DATABASE_AUTO_MIGRATE: 'false' };
    const r = await vigil(['apikey', 'list'], env, ws.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('vigil migrate');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const status = await vigil(['migrate', '--status', '--json'], env, ws.dir);
    expect(json<StatusJson>(status).pending).toBeGreaterThan(0);
  });
});

describe('vigil config check', () => {
  const items = (stdout: string) => (JSON.parse(stdout) as { items: ReadinessItem[] }).items;

  it('passes a dev config whose only concerns are warnings', async () => {
    const r = await vigil(['config', 'check', '--json'], { ...ws.env, ALLOW_SQLITE_IN_PRODUCTION: 'true' }, ws.dir);
    expect(r.code).toBe(0);
    const report = json<{ ok: boolean; environment: string; summary: { fail: number; warn: number } }>(r);
    expect(report).toMatchObject({ ok: true, environment: 'development' });
    expect(report.summary.fail).toBe(0);
    expect(items(r.stdout).find((i) => i.id === 'environment')?.status).toBe('warn');

    const human = await vigil(['config', 'check'], { ...ws.env, ALLOW_SQLITE_IN_PRODUCTION: 'true' }, ws.dir);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('WARN  ENVIRONMENT=development');
    expect(human.stdout).toContain('fix: Set ENVIRONMENT=production');
  });

  it('fails the default dev config on SQLite: the report answers "fit for production?" whatever ENVIRONMENT is', async () => {
    const r = await vigil(['config', 'check', '--json'], ws.env, ws.dir);
    expect(r.code).toBe(1);
    expect(items(r.stdout).filter((i) => i.status === 'fail').map((i) => i.id)).toEqual(['database']);
  });

  it('fails a production config with a weak JWT_SECRET, and never prints the secret', async () => {
    const secret = 'weak-jwt-value-7Q';
    const env = { ...ws.env, ENVIRONMENT: 'production', JWT_ALGORITHM: 'HS256', JWT_SECRET: secret, DATABASE_URL: 'postgres://vigil:db-pass-5x9@db.internal:5432/vigil' };
    const r = await vigil(['config', 'check', '--json'], env, ws.dir);
    expect(r.code).toBe(1);
    const report = json<{ ok: boolean; items: ReadinessItem[] }>(r);
    expect(report.ok).toBe(false);
    const failed = report.items.filter((i) => i.status === 'fail');
    expect(failed.map((i) => i.id)).toEqual(['jwt_secret']);
    expect(failed[0]?.fix).toBeTruthy();

    const human = await vigil(['config', 'check'], env, ws.dir);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/FAIL {2}JWT_SECRET is \d+ characters/);
    for (const out of [r.stdout, r.stderr, human.stdout, human.stderr]) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain('db-pass-5x9');
    }
  });

  it('--env-file: the file forms the environment over the real one, and .env is not read', async () => {
    writeFileSync(join(ws.dir, '.env'), 'ENVIRONMENT=staging\n');
    writeFileSync(join(ws.dir, 'prod.env'), 'ENVIRONMENT=production\nCREATE_DEFAULT_USERS=true\n');
    // The real environment says development; the file wins for what it sets, the rest comes from the environment.
    const r = await vigil(['config', 'check', '--json', '--env-file', 'prod.env'], { ...ws.env, ENVIRONMENT: 'development' }, ws.dir);
    expect(r.code).toBe(1);
    const report = json<{ environment: string; items: ReadinessItem[] }>(r);
    expect(report.environment).toBe('production');
    expect(report.items.find((i) => i.id === 'default_users')?.status).toBe('fail');
    expect(report.items.find((i) => i.id === 'signing_key_encryption')?.status).toBe('pass'); // SIGNING_KEY_ENCRYPTION_KEY from the environment

    // Without --env-file, .env is read under the environment (as the server does).
    const { ENVIRONMENT: _, ...withoutEnvironment } = ws.env;
    const dotenv = await vigil(['config', 'check', '--json'], withoutEnvironment, ws.dir);
    expect(json<{ environment: string }>(dotenv).environment).toBe('staging');
  });

  it('--env-file naming no file is a usage error', async () => {
    const r = await vigil(['config', 'check', '--env-file', 'missing.env'], ws.env, ws.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: env file missing.env does not exist\n');
  });

  it('an invalid config prints every problem, masks secrets, exits 1', async () => {
    const env = { ...ws.env, API_PORT: 'eighty', SIGNING_KEY_ENCRYPTION_KEY: 'too-short-kek-3Zq' };
    const r = await vigil(['config', 'check'], env, ws.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Invalid configuration (2 problems)');
    expect(r.stderr).toContain('API_PORT="eighty"');
    expect(r.stderr).toContain('SIGNING_KEY_ENCRYPTION_KEY=******');
    expect(r.stderr + r.stdout).not.toContain('too-short-kek-3Zq');

    const asJson = await vigil(['config', 'check', '--json'], env, ws.dir);
    expect(asJson.code).toBe(1);
    const body = json<{ ok: boolean; valid: boolean; issues: { env: string }[] }>(asJson);
    expect(body).toMatchObject({ ok: false, valid: false });
    expect(body.issues.map((i) => i.env).sort()).toEqual(['API_PORT', 'SIGNING_KEY_ENCRYPTION_KEY']);
    expect(asJson.stdout).not.toContain('too-short-kek-3Zq');
  });
});

describe('usage', () => {
  it('no command prints help to stderr and is a usage error', async () => {
    const r = await vigil([], ws.env, ws.dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: vigil');
    expect(r.stderr).toContain('apikey');
  });

  it('--help and --version succeed on stdout', async () => {
    const help = await vigil(['apikey', 'create', '--help'], ws.env, ws.dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--scope <scope>');
    const version = await vigil(['--version'], ws.env, ws.dir);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('unknown commands and options, and missing arguments, exit 2 with one error line', async () => {
    for (const args of [['frobnicate'], ['apikey', 'list', '--bogus'], ['apikey', 'revoke'], ['user', 'create-admin']]) {
      const r = await vigil(args, ws.env, ws.dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0], args.join(' ')).toMatch(/^error: /);
      expect(r.stdout).toBe('');
    }
  });
});
