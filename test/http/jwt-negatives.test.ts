import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/shared/clock.js';
import { STRONG_PASSWORD } from '../support/config.js';
import { makeTestApp, type TestApp } from '../support/services.js';

/** Every forged, stale or revoked access token is a 401 problem with a Bearer challenge. */
async function signUp(t: TestApp, email = 'eve@example.com') {
  const body = { email, password: STRONG_PASSWORD };
  await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body });
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: body });
  return res.json().access_token as string;
}

const parts = (jwt: string) => {
  const [h, p, s] = jwt.split('.') as [string, string, string];
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), payload: JSON.parse(Buffer.from(p, 'base64url').toString()), h, p, s };
};
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

async function expectRejected(t: TestApp, token: string) {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode).toBe(401);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  expect(res.json()).toMatchObject({ status: 401, code: 'invalid_token' });
}

describe('JWT negatives (EdDSA)', () => {
  const clock = manualClock(Date.UTC(2026, 10, 23, 12));
  const dbUrl = `sqlite:/tmp/vigil-jwt-${process.pid}-${Date.now()}.db`;
  let t: TestApp;
  let good: string;

  beforeAll(async () => {
    t = await makeTestApp({ DATABASE_URL: dbUrl }, { clock });
    good = await signUp(t);
  });
  afterAll(() => t.close());

  it('accepts the genuine token (control)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${good}` } });
    expect(res.statusCode).toBe(200);
  });

  it('rejects alg: none', async () => {
    const { payload } = parts(good);
    await expectRejected(t, new UnsecuredJWT(payload).encode());
    await expectRejected(t, `${b64({ alg: 'none', typ: 'at+jwt' })}.${parts(good).p}.`);
  });

  it('rejects HS256 signed with the published public key (algorithm confusion)', async () => {
    const { payload, header } = parts(good);
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const jwk = jwks.keys.find((k: { kid: string }) => k.kid === header.kid);
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    for (const secret of [Buffer.from(pem), Buffer.from(jwk.x, 'base64url'), Buffer.from(JSON.stringify(jwk))]) {
      const forged = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: header.kid }).sign(secret);
      await expectRejected(t, forged);
    }
  });

  it('rejects a tampered payload or header', async () => {
    const { payload, header, h, s } = parts(good);
    await expectRejected(t, `${h}.${b64({ ...payload, roles: ['admin'] })}.${s}`);
    await expectRejected(t, `${h}.${b64({ ...payload, exp: payload.exp + 3600 })}.${s}`);
    await expectRejected(t, `${b64({ ...header, typ: 'JWT' })}.${parts(good).p}.${s}`);
    await expectRejected(t, `${h}.${parts(good).p}.${s.slice(0, -4)}AAAA`);
  });

  it('rejects a token signed by a key Vigil does not know (unknown kid, or a known kid with another key)', async () => {
    const { payload, header } = parts(good);
    const { privateKey } = generateKeyPairSync('ed25519');
    await expectRejected(t, await new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'not-a-known-kid' }).sign(privateKey));
    await expectRejected(t, await new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: header.kid }).sign(privateKey));
    await expectRejected(t, await new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' }).sign(privateKey));
    // A JWK embedded in the header must not be trusted either.
    const jwk = await exportJWK(createPublicKey(privateKey));
    await expectRejected(t, await new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', jwk }).sign(privateKey));
  });

  it('rejects tokens with the wrong issuer or audience, even when signed with Vigil\'s own key', async () => {
    // A second instance on the same database shares the signing key but not the iss/aud.
    for (const env of [{ JWT_ISSUER: 'someone-else' }, { JWT_AUDIENCE: 'another-api' }]) {
      const other = await makeTestApp({ DATABASE_URL: dbUrl, ...env }, { clock });
      const token = await signUp(other, `eve-${Object.keys(env)[0]!.toLowerCase()}@example.com`);
      await other.close();
      expect(parts(token).header.kid).toBe(parts(good).header.kid);
      await expectRejected(t, token);
    }
  });

  it('rejects an expired token', async () => {
    const token = await signUp(t, 'late@example.com');
    clock.advance(15 * 60 * 1000 + 1000);
    await expectRejected(t, token);
  });

  it('rejects a token that was accepted before (and so is remembered as verified) once it expires or is revoked', async () => {
    const token = await signUp(t, 'cached@example.com');
    const me = () => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect((await me()).statusCode).toBe(200);
    expect((await me()).statusCode).toBe(200);
    clock.advance(15 * 60 * 1000 + 1000);
    await expectRejected(t, token);
    const fresh = await signUp(t, 'cached2@example.com');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${fresh}` } })).statusCode).toBe(200);
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${fresh}` } });
    await expectRejected(t, fresh);
  });

  it('rejects a revoked jti within one request', async () => {
    const token = await signUp(t, 'bye@example.com');
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${token}` } });
    expect(out.statusCode).toBe(204);
    await expectRejected(t, token);
  });

  it('rejects garbage in the Authorization header', async () => {
    for (const value of ['Bearer', 'Bearer ', 'Bearer a.b', 'Bearer ...', `Bearer ${'A'.repeat(10_000)}`, 'Bearer \u0000\u0001', "Bearer ' OR 1=1 --"]) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: value } });
      expect(res.statusCode, value.slice(0, 20)).toBe(401);
    }
    const basic = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.statusCode).toBe(401);
  });
});

describe('JWT negatives (HS256 with JWT_SECRET)', () => {
  const SECRET = 'a-very-long-hs256-secret-for-tests-0123456789';
  const clock = manualClock(Date.UTC(2026, 10, 23, 12));
  let t: TestApp;
  let good: string;
  const key = new TextEncoder().encode(SECRET);
  const now = () => Math.floor(clock.now() / 1000);

  beforeAll(async () => {
    t = await makeTestApp({ JWT_ALGORITHM: 'HS256', JWT_SECRET: SECRET }, { clock });
    good = await signUp(t);
  });
  afterAll(() => t.close());

  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT({ ...parts(good).payload, ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', ...header }).sign(key);

  it('accepts a token Vigil signed, and one re-signed with the right secret (control)', async () => {
    expect(parts(good).header.alg).toBe('HS256');
    const ok = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${await sign({})}` } });
    expect(ok.statusCode).toBe(200);
  });

  it('rejects nbf in the future, wrong iss, wrong aud, missing claims, and a wrong secret', async () => {
    await expectRejected(t, await sign({ nbf: now() + 600 }));
    await expectRejected(t, await sign({ iss: 'evil' }));
    await expectRejected(t, await sign({ aud: 'other-api' }));
    await expectRejected(t, await sign({ sid: undefined }));
    await expectRejected(t, await sign({ roles: 'admin' }));
    await expectRejected(t, await sign({ exp: now() - 1 }));
    const wrong = await new SignJWT(parts(good).payload).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(new TextEncoder().encode(`${SECRET}x`));
    await expectRejected(t, wrong);
  });

  it('rejects alg: none and HS512 with the right secret', async () => {
    await expectRejected(t, new UnsecuredJWT(parts(good).payload).encode());
    await expectRejected(t, await new SignJWT(parts(good).payload).setProtectedHeader({ alg: 'HS512', typ: 'at+jwt' }).sign(new TextEncoder().encode(SECRET.repeat(2))));
  });
});
