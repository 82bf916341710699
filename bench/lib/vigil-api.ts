/** The few Vigil API calls the benchmark needs to set up its load (a user, tokens). */

export const BENCH_PASSWORD = 'correct-Horse-battery-staple-42';

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

async function post<T>(base: string, path: string, body: unknown, expected: number): Promise<T> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`POST ${path}: expected ${expected}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function register(base: string, email: string): Promise<void> {
  await post(base, '/api/v1/auth/register', { email, password: BENCH_PASSWORD, name: 'Bench User' }, 201);
}

export function login(base: string, email: string): Promise<Tokens> {
  return post<Tokens>(base, '/api/v1/auth/login', { email, password: BENCH_PASSWORD }, 200);
}

/** `count` separate sessions (one login each, `parallel` at a time). */
export async function sessions(base: string, email: string, count: number, parallel = 4): Promise<Tokens[]> {
  const out: Tokens[] = [];
  for (let i = 0; i < count; i += parallel) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, () => login(base, email)))));
  }
  return out;
}

/** Checks a token works before putting load on it, so a setup mistake cannot pass as a fast 401 run. */
export async function expectMe(base: string, accessToken: string): Promise<void> {
  const res = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  if (res.status !== 200) throw new Error(`GET /api/v1/auth/me: expected 200, got ${res.status}: ${await res.text()}`);
}
