import type { LiveMessage } from './feed.js';

/**
 * Close codes of the live stream (besides the standard ones: 1001 server shutting down, 1008
 * origin or payload refused, 1013 a client too slow to keep up).
 */
export const CLOSE = {
  /** No valid auth message within the deadline, an invalid or expired token, a rejected API key. */
  unauthenticated: 4401,
  /** Authenticated, but neither the admin role nor an admin API key. */
  forbidden: 4403,
  goingAway: 1001,
  tryAgainLater: 1013,
} as const;

/** The first client message: `{"type":"auth","token":…|null,"api_key":…,"cursor":…|null}`. */
export interface AuthMessage {
  token?: string | null;
  api_key?: string;
  cursor?: string | null;
}

/** Parses the auth message; undefined for anything else (the socket is closed with 4401). */
export function parseAuth(raw: string): AuthMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || (value as { type?: unknown }).type !== 'auth') return undefined;
  const { token, api_key, cursor } = value as Record<string, unknown>;
  const okString = (v: unknown, max: number) => v === undefined || v === null || (typeof v === 'string' && v.length <= max);
  if (!okString(token, 8192) || !(api_key === undefined || (typeof api_key === 'string' && api_key.length <= 512)) || !okString(cursor, 128)) return undefined;
  return { token: token as string | null | undefined, api_key: api_key as string | undefined, cursor: cursor as string | null | undefined };
}

export const readyFrame = (cursor: string) => JSON.stringify({ type: 'ready', cursor });
export const RESET_FRAME = JSON.stringify({ type: 'reset' });
export const messageFrame = (m: LiveMessage) => JSON.stringify({ type: 'message', cursor: m.cursor, kind: m.kind, at: m.at, data: m.data });
