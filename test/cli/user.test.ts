import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliInput } from '../../src/cli/context.js';
import { OTHER_STRONG_PASSWORD, STRONG_PASSWORD } from '../support/config.js';
import { json, servicesFor, tempWorkspace, vigil } from './harness.js';

let ws: ReturnType<typeof tempWorkspace>;
beforeEach(async () => {
  ws = tempWorkspace();
  expect((await vigil(['migrate'], ws.env, ws.dir)).code).toBe(0);
});
afterEach(() => ws.remove());

/** A fake terminal: answers each hidden prompt with the next of `answers`. */
function terminal(answers: string[]) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: vi.fn() }) as PassThrough & CliInput & { setRawMode: ReturnType<typeof vi.fn> };
  const onStderr = (chunk: string) => {
    if (/Password for|Repeat the password/.test(chunk)) {
      const answer = answers.shift();
      if (answer !== undefined) setImmediate(() => stdin.write(answer));
    }
  };
  return { stdin, onStderr };
}

describe('vigil user create-admin', () => {
  it('creates an admin from --password-stdin who can then log in', async () => {
    const r = await vigil(['user', 'create-admin', '--email', 'Ops@Example.com', '--name', 'Ops', '--password-stdin', '--json'], ws.env, ws.dir, { stdin: `${STRONG_PASSWORD}\n` });
    expect(r.code).toBe(0);
    const created = json<{ id: string; email: string; role: string; name: string }>(r);
    expect(created).toMatchObject({ email: 'ops@example.com', role: 'admin', name: 'Ops' });
    expect(r.stdout).not.toContain(STRONG_PASSWORD);
    expect(r.stdout).not.toContain('password_hash');

    const services = await servicesFor(ws.env);
    try {
      const tokens = await services.auth.login({ email: 'ops@example.com', password: STRONG_PASSWORD }, {});
      const check = await services.tokens.verifyAccess(tokens.access_token);
      expect(check.ok && check.claims.sub).toBe(created.id);
      expect(check.ok && check.claims.roles).toEqual(['admin']);
    } finally {
      await services.close();
    }
  });

  it('rejects a weak password with the policy reason and creates nobody', async () => {
    const r = await vigil(['user', 'create-admin', '--email', 'weak@example.com', '--password-stdin'], ws.env, ws.dir, { stdin: 'password123\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: password must be at least 12 characters\n$/);

    const common = await vigil(['user', 'create-admin', '--email', 'weak@example.com', '--password-stdin'], ws.env, ws.dir, { stdin: 'passwordpassword\n' });
    expect(common.code).toBe(1);
    expect(common.stderr).toMatch(/^error: password is too weak/);
    expect(common.stderr).not.toContain('passwordpassword');

    const services = await servicesFor(ws.env);
    try {
      await expect(services.auth.login({ email: 'weak@example.com', password: 'passwordpassword' }, {})).rejects.toMatchObject({ code: 'invalid_credentials' });
    } finally {
      await services.close();
    }
  });

  it('refuses a duplicate email', async () => {
    const args = ['user', 'create-admin', '--email', 'dup@example.com', '--password-stdin'];
    expect((await vigil(args, ws.env, ws.dir, { stdin: STRONG_PASSWORD })).code).toBe(0);
    const again = await vigil(['user', 'create-admin', '--email', 'DUP@example.com', '--password-stdin'], ws.env, ws.dir, { stdin: OTHER_STRONG_PASSWORD });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: a user with email dup@example.com already exists\n');
  });

  it('validates the email and refuses to prompt without a terminal', async () => {
    const bad = await vigil(['user', 'create-admin', '--email', 'not-an-email', '--password-stdin'], ws.env, ws.dir, { stdin: STRONG_PASSWORD });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected an email address');

    const noTty = await vigil(['user', 'create-admin', '--email', 'a@example.com'], ws.env, ws.dir, { stdin: STRONG_PASSWORD });
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('--password-stdin');

    const empty = await vigil(['user', 'create-admin', '--email', 'a@example.com', '--password-stdin'], ws.env, ws.dir, { stdin: '' });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe('error: no password on stdin\n');
  });

  it('on a terminal asks twice without echo, and creates the admin when both match', async () => {
    const tty = terminal([`${STRONG_PASSWORD}\r`, `${STRONG_PASSWORD}\r`]);
    const r = await vigil(['user', 'create-admin', '--email', 'tty@example.com'], ws.env, ws.dir, tty);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Created admin tty@example\.com \(id [0-9a-f-]+\)\.\n$/);
    expect(r.stderr).toContain('Password for tty@example.com: ');
    expect(r.stderr).toContain('Repeat the password: ');
    expect(r.stderr + r.stdout).not.toContain(STRONG_PASSWORD);
    // Raw mode on for each prompt and restored after it.
    expect(tty.stdin.setRawMode.mock.calls).toEqual([[true], [false], [true], [false]]);

    const services = await servicesFor(ws.env);
    try {
      await expect(services.auth.login({ email: 'tty@example.com', password: STRONG_PASSWORD }, {})).resolves.toHaveProperty('access_token');
    } finally {
      await services.close();
    }
  });

  it('on a terminal stops when the two entries differ', async () => {
    // Backspace edits the entry: "x" then DEL leaves the first password intact.
    const tty = terminal([`${STRONG_PASSWORD}x\u007f\r`, `${OTHER_STRONG_PASSWORD}\r`]);
    const r = await vigil(['user', 'create-admin', '--email', 'tty@example.com'], ws.env, ws.dir, tty);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: the passwords do not match');
  });

  it('on a terminal rejects a weak first entry before asking again', async () => {
    const tty = terminal(['tooshort\r', 'tooshort\r']);
    const r = await vigil(['user', 'create-admin', '--email', 'tty@example.com'], ws.env, ws.dir, tty);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: password must be at least 12 characters');
    expect(r.stderr).not.toContain('Repeat the password');
  });
});
