/**
 * The console's session and its calls to the admin API.
 *
 * The access token lives in this module's memory only (never in storage, never in a cookie the
 * page can read); the refresh token is an httpOnly cookie the browser sends to /api/v1/console
 * alone. A 401 from the API means the access token expired or was revoked: one refresh through
 * the cookie, then the call is retried once; if the refresh fails the session is over.
 */

export interface ConsoleUser {
  id: string;
  email: string;
  name: string | null;
  role: string;
}

interface SessionAnswer {
  access_token: string;
  expires_in: number;
  user: ConsoleUser;
}

/** An RFC 9457 problem the API answered (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

const CONSOLE_HEADERS = { 'x-vigil-console': '1' };
/**
 * Not a secret: only whether this browser signed in and did not sign out, so that a first visit
 * shows the sign-in form without a refresh call that can only fail.
 */
const HINT = 'vigil-console-signed-in';

let accessToken: string | null = null;
let currentUser: ConsoleUser | null = null;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<(user: ConsoleUser | null) => void>();

export const session = {
  user: () => currentUser,
  token: () => accessToken,
  /** Called with the user on sign-in and with null on sign-out or expiry. */
  subscribe(fn: (user: ConsoleUser | null) => void): () => void {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
};

function setSession(answer: SessionAnswer | null): void {
  accessToken = answer?.access_token ?? null;
  currentUser = answer?.user ?? null;
  try {
    if (answer) localStorage.setItem(HINT, '1');
    else localStorage.removeItem(HINT);
  } catch {
    // Storage may be disabled; the hint only saves one request.
  }
  for (const fn of listeners) fn(currentUser);
}

async function problemOf(res: Response): Promise<ApiError> {
  let body: { code?: string; detail?: string; title?: string } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  return new ApiError(res.status, body.code ?? `http_${res.status}`, body.detail ?? body.title ?? res.statusText);
}

async function consoleCall(path: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(`/api/v1/console/${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: body === undefined ? { ...CONSOLE_HEADERS, ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) } : { ...CONSOLE_HEADERS, 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Vigil cannot be reached');
  }
}

/** Signs in with an admin account; throws the API's problem otherwise. */
export async function signIn(email: string, password: string): Promise<ConsoleUser> {
  const res = await consoleCall('session', { email, password });
  if (!res.ok) throw await problemOf(res);
  const answer = (await res.json()) as SessionAnswer;
  setSession(answer);
  return answer.user;
}

/** A new access token from the cookie; false (and signed out) when the session is over. One at a time. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const res = await consoleCall('refresh', {});
      if (!res.ok) {
        if (res.status !== 429 && res.status !== 0) setSession(null);
        return false;
      }
      setSession((await res.json()) as SessionAnswer);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Whether this browser signed in and has not signed out since (then a session may be resumed). */
export function hasSessionHint(): boolean {
  try {
    return localStorage.getItem(HINT) === '1';
  } catch {
    return true;
  }
}

/** On page load: resume the session from the cookie, when this browser had one. */
export async function resume(): Promise<boolean> {
  return hasSessionHint() ? refresh() : false;
}

export async function signOut(): Promise<void> {
  try {
    await consoleCall('logout');
  } finally {
    setSession(null);
  }
}

/**
 * A call to Vigil's API with the access token. JSON in and out; a problem becomes an ApiError.
 * A 401 refreshes the session once and retries.
 */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, retried = false): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'omit',
      headers: { ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Vigil cannot be reached');
  }
  if (res.status === 401 && !retried && (await refresh())) return api<T>(method, path, body, true);
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/** `/api/v1/admin` + path. */
export const admin = (path: string) => `/api/v1/admin${path}`;
