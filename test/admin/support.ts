import { expect } from 'vitest';
import type { Role } from '../../src/auth/ports.js';
import { STRONG_PASSWORD } from '../support/config.js';
import type { TestApp } from '../support/services.js';

/** The admin API key the admin suites configure (ADMIN_API_KEY). */
export const ADMIN_KEY = 'admin-key-for-the-admin-api-tests-0123456789';
export const PUBLIC_KEY = 'public-key-for-the-admin-api-tests-0123456789';
export const adminKey = { 'x-api-key': ADMIN_KEY };

export interface SignedIn {
  id: string;
  email: string;
  access: string;
  refresh: string;
  headers: { authorization: string };
}

/** Creates a user (unless it exists) and signs it in: a new session each call. */
export async function signIn(t: TestApp, email: string, role: Role = 'user', name: string | null = null): Promise<SignedIn> {
  const existing = await t.services.users.findByEmail(email);
  const user = existing ?? (await t.services.auth.createUser({ email, password: STRONG_PASSWORD, role, name }, {}));
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: STRONG_PASSWORD }, headers: { 'user-agent': `test-agent ${email}` } });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<{ access_token: string; refresh_token: string }>();
  return { id: user.id, email, access: body.access_token, refresh: body.refresh_token, headers: { authorization: `Bearer ${body.access_token}` } };
}

/** Asserts an RFC 9457 problem with this status and code. */
export function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string; json: () => unknown }, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ status, code });
}

/** The ADMIN_ACTION events recorded so far with this action. */
export const adminActions = (t: TestApp, action: string) =>
  t.events.filter((e) => e.type === 'ADMIN_ACTION' && (e.details as { action: string }).action === action).map((e) => ({ ...(e.details as { action: string; target?: string; actor?: string }), user_id: e.user_id }));
