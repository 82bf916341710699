import { describe, expect, it } from 'vitest';
import { redactSecrets, SECRET_LOG_KEYS } from '../../src/observability/log-redaction.js';

describe('secrets in log objects', () => {
  it('replaces every secret key in the top three levels, in objects and arrays, without touching the original', () => {
    const original = {
      password: 'hunter2',
      user: { email: 'a@example.com', refresh_token: 'rt-1' },
      req: { headers: { authorization: 'Bearer abc', 'x-api-key': 'vgl_k', cookie: 'sid=1', accept: '*/*' } },
      res: { headers: { 'set-cookie': ['a=b'] } },
      batch: [{ token: 't-1', ok: true }],
      deep: { a: { b: { password: 'four levels down is not walked' } } },
      absent: { password: undefined },
    };
    const snapshot = structuredClone(original);
    const out = redactSecrets(original);
    expect(out).toEqual({
      password: '[REDACTED]',
      user: { email: 'a@example.com', refresh_token: '[REDACTED]' },
      req: { headers: { authorization: '[REDACTED]', 'x-api-key': '[REDACTED]', cookie: '[REDACTED]', accept: '*/*' } },
      res: { headers: { 'set-cookie': '[REDACTED]' } },
      batch: [{ token: '[REDACTED]', ok: true }],
      deep: { a: { b: { password: 'four levels down is not walked' } } },
      absent: { password: undefined },
    });
    expect(original).toEqual(snapshot);
  });

  it('returns an object without secrets as it is (no copy), and leaves errors and dates to the serializers', () => {
    const line = { method: 'GET', route: '/api/v1/auth/me', status: 200, nested: { a: 1 } };
    expect(redactSecrets(line)).toBe(line);
    const err = Object.assign(new Error('boom'), { password: 'in an error' });
    const at = new Date(0);
    const withObjects = { err, at };
    expect(redactSecrets(withObjects)).toBe(withObjects);
  });

  it('covers the names the auth API uses for secrets', () => {
    for (const key of ['password', 'new_password', 'current_password', 'access_token', 'refresh_token', 'token', 'api_key', 'authorization', 'cookie', 'x-api-key']) {
      expect(SECRET_LOG_KEYS.has(key), key).toBe(true);
    }
  });
});
