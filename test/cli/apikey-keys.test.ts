import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, servicesFor, tempWorkspace, vigil } from './harness.js';

let ws: ReturnType<typeof tempWorkspace>;
beforeEach(async () => {
  ws = tempWorkspace();
  expect((await vigil(['migrate'], ws.env, ws.dir)).code).toBe(0);
});
afterEach(() => ws.remove());

interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  scope: string;
  name: string;
  expires_at: string | null;
}

describe('vigil apikey', () => {
  it('creates a key shown once, lists it without the key, revokes it so it no longer verifies', async () => {
    const created = await vigil(['apikey', 'create', '--name', 'billing', '--scope', 'admin', '--json'], ws.env, ws.dir);
    expect(created.code).toBe(0);
    const k = json<CreatedKey>(created);
    expect(Object.keys(k).sort()).toEqual(['expires_at', 'id', 'key', 'name', 'prefix', 'scope']);
    expect(k).toMatchObject({ name: 'billing', scope: 'admin', expires_at: null });
    expect(k.key.startsWith(k.prefix)).toBe(true);

    const services = await servicesFor(ws.env);
    try {
      const ok = await services.apiKeys.authenticate(k.key, {});
      expect(ok.ok && ok.principal).toMatchObject({ keyId: k.id, scope: 'admin', name: 'billing' });

      const [record] = await services.apiKeys.list();
      for (const args of [['apikey', 'list'], ['apikey', 'list', '--json']]) {
        const listed = await vigil(args, ws.env, ws.dir);
        expect(listed.code).toBe(0);
        expect(listed.stdout).toContain(k.id);
        expect(listed.stdout).toContain(k.prefix);
        expect(listed.stdout).not.toContain(k.key);
        expect(listed.stdout).not.toContain(record!.key_hash);
        expect(listed.stdout).not.toContain('key_hash');
      }
      const rows = json<{ id: string; status: string }[]>(await vigil(['apikey', 'list', '--json'], ws.env, ws.dir));
      expect(rows).toEqual([expect.objectContaining({ id: k.id, status: 'active' })]);

      const revoked = await vigil(['apikey', 'revoke', k.id], ws.env, ws.dir);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(`Revoked API key "billing" (id ${k.id})`);
      expect(await services.apiKeys.authenticate(k.key, {})).toEqual({ ok: false, reason: 'revoked' });

      const after = json<{ id: string; status: string; revoked_at: string | null }[]>(await vigil(['apikey', 'list', '--json'], ws.env, ws.dir));
      expect(after[0]).toMatchObject({ id: k.id, status: 'revoked' });
      expect(after[0]?.revoked_at).not.toBeNull();

      const twice = await vigil(['apikey', 'revoke', k.id], ws.env, ws.dir);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toBe(`error: no active API key with id or prefix ${k.id}\n`);
    } finally {
      await services.close();
    }
  });

  it('prints only the key on stdout without --json; revoke accepts the prefix', async () => {
    const created = await vigil(['apikey', 'create', '--name', 'ci', '--scope', 'public', '--expires', '90d'], ws.env, ws.dir);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^vgl_[A-Za-z0-9_-]{43}\n$/);
    const key = created.stdout.trim();
    expect(created.stderr).toContain('cannot be shown again');
    expect(created.stderr).not.toContain(key);

    const [row] = json<{ prefix: string; expires_at: string; created_at: string }[]>(await vigil(['apikey', 'list', '--json'], ws.env, ws.dir));
    expect(Date.parse(row!.expires_at) - Date.parse(row!.created_at)).toBe(90 * 86_400_000);

    expect((await vigil(['apikey', 'revoke', row!.prefix], ws.env, ws.dir)).code).toBe(0);
    const services = await servicesFor(ws.env);
    try {
      expect(await services.apiKeys.authenticate(key, {})).toEqual({ ok: false, reason: 'revoked' });
    } finally {
      await services.close();
    }
  });

  it('rejects a bad scope or duration as usage errors and creates nothing', async () => {
    const scope = await vigil(['apikey', 'create', '--name', 'x', '--scope', 'root'], ws.env, ws.dir);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toContain('Allowed choices are public, admin');
    const expires = await vigil(['apikey', 'create', '--name', 'x', '--scope', 'public', '--expires', 'soon'], ws.env, ws.dir);
    expect(expires.code).toBe(2);
    expect(expires.stderr).toContain('expected a duration');
    const missing = await vigil(['apikey', 'create', '--name', 'x'], ws.env, ws.dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--scope');
    expect(json<unknown[]>(await vigil(['apikey', 'list', '--json'], ws.env, ws.dir))).toEqual([]);
  });
});

describe('vigil keys', () => {
  interface KeyRow {
    kid: string;
    alg: string;
    status: string;
    created_at: string;
    retired_at: string | null;
    expires_at: string | null;
  }

  it('rotate adds a signing key; list shows the new one active and the old one retired but published', async () => {
    const first = json<KeyRow[]>(await vigil(['keys', 'list', '--json'], ws.env, ws.dir));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ alg: 'EdDSA', status: 'active', retired_at: null });

    const rotated = await vigil(['keys', 'rotate', '--json'], ws.env, ws.dir);
    expect(rotated.code).toBe(0);
    const { key, previous } = json<{ key: KeyRow; previous: KeyRow[] }>(rotated);
    expect(key).toMatchObject({ status: 'active', alg: 'EdDSA' });
    expect(key.kid).not.toBe(first[0]!.kid);
    expect(previous).toEqual([expect.objectContaining({ kid: first[0]!.kid, status: 'retired' })]);

    const listed = await vigil(['keys', 'list', '--json'], ws.env, ws.dir);
    const rows = json<KeyRow[]>(listed);
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => [r.kid, r.status])).toEqual([
      [key.kid, 'active'],
      [first[0]!.kid, 'retired'],
    ]);
    expect(rows[1]!.expires_at).not.toBeNull();

    // The old public key is still in JWKS and the new key signs.
    const services = await servicesFor(ws.env);
    try {
      expect(services.tokens.jwks().keys.map((k) => (k as { kid: string }).kid).sort()).toEqual([key.kid, first[0]!.kid].sort());
      const token = await services.tokens.issueAccess({ id: 'u1', role: 'user' }, 's1');
      expect(JSON.parse(Buffer.from(token.token.split('.')[0]!, 'base64url').toString()).kid).toBe(key.kid);
    } finally {
      await services.close();
    }

    const human = await vigil(['keys', 'list'], ws.env, ws.dir);
    expect(human.stdout.split('\n')[0]).toMatch(/^KID\s+ALG\s+STATUS\s+CREATED\s+EXPIRES$/);
    expect(human.stdout).toMatch(new RegExp(`${key.kid}\\s+EdDSA\\s+active`));
  });

  it('with HS256 there are no managed keys: rotate and list exit 1 with a clear message', async () => {
    const env = { ...ws.env, JWT_ALGORITHM: 'HS256', JWT_SECRET: 'a-long-enough-hs256-secret-0123456789abcdef' };
    for (const args of [['keys', 'rotate'], ['keys', 'list', '--json']]) {
      const r = await vigil(args, env, ws.dir);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: JWT_ALGORITHM=HS256 .*no managed signing keys.*\n$/);
      expect(r.stderr).not.toContain(env.JWT_SECRET);
    }
  });
});
