import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempWorkspace, type CliResult } from './harness.js';
import { MIGRATIONS } from '../../src/storage/migrations/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/index.ts');
// By URL, so the child finds tsx whatever its cwd.
const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;

/** Runs the real entry point in a child process (through tsx, so no build is needed). */
function spawnVigil(args: string[], env: Record<string, string | undefined>, cwd: string, stdin = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // Only what the test gives: nothing from the runner's own environment but PATH.
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vigil ${args.join(' ')} did not exit within 15s; stderr: ${stderr}`));
    }, 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => {
  ws = tempWorkspace();
});
afterAll(() => ws.remove());

// The child's cwd is the temp workspace, so no stray .env is read.
// Each child compiles through tsx (a few seconds on a busy machine): generous timeouts.
describe('the vigil executable', { timeout: 60_000 }, () => {
  it('--help prints the command list and exits 0', async () => {
    const r = await spawnVigil(['--help'], {}, ROOT);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: vigil/);
    for (const command of ['serve', 'migrate', 'config', 'user', 'apikey', 'keys']) expect(r.stdout).toContain(`  ${command}`);
    expect(r.stdout).toContain('Exit status: 0 success, 1 failure');
  });

  it('config check --json reports on an env file and sets the exit code', async () => {
    const secret = 'spawned-weak-secret';
    writeFileSync(join(ws.dir, 'prod.env'), `ENVIRONMENT=production\nJWT_ALGORITHM=HS256\nJWT_SECRET=${secret}\nDATABASE_URL=postgres://vigil@db:5432/vigil\n`);
    // `--env-file=F`: Node 20 itself treats a script argument `--env-file F` as its own flag when F is missing.
    const failing = await spawnVigil(['config', 'check', '--json', `--env-file=${join(ws.dir, 'prod.env')}`], {}, ws.dir);
    expect(failing.code).toBe(1);
    const report = JSON.parse(failing.stdout) as { ok: boolean; environment: string; items: { id: string; status: string }[] };
    expect(report).toMatchObject({ ok: false, environment: 'production' });
    expect(report.items.filter((i) => i.status === 'fail').map((i) => i.id)).toEqual(['jwt_secret']);
    expect(failing.stdout + failing.stderr).not.toContain(secret);

    const passing = await spawnVigil(['config', 'check', '--json'], { ...ws.env, ALLOW_SQLITE_IN_PRODUCTION: 'true' }, ws.dir);
    expect(passing.code).toBe(0);
    expect((JSON.parse(passing.stdout) as { ok: boolean }).ok).toBe(true);
  });

  it('a database command closes what it opened and exits by itself; logs stay off stdout', async () => {
    const env = { ...ws.env, LOG_LEVEL: 'info' };
    const migrated = await spawnVigil(['migrate', '--json'], env, ws.dir);
    expect(migrated.code).toBe(0);
    expect(JSON.parse(migrated.stdout)).toEqual({ applied: Object.keys(MIGRATIONS) });

    const created = await spawnVigil(['apikey', 'create', '--name', 'spawned', '--scope', 'public'], env, ws.dir);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^vgl_\S+\n$/);
    // The security event for the new key is logged (it is an audit record), but on stderr.
    expect(created.stderr).toContain('"event":"API_KEY_CREATED"');

    const user = await spawnVigil(['user', 'create-admin', '--email', 'root@example.com', '--password-stdin'], env, ws.dir, 'correct-Horse-battery-staple-42\n');
    expect(user.code).toBe(0);
    expect(user.stdout).toMatch(/^Created admin root@example\.com/);
  });
});
