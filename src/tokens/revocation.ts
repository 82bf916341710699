/**
 * The in-memory revocation list every authenticated request consults: revoked access-token ids
 * (the blacklist) and revoked sessions (refresh families, carried in tokens as `sid`), each kept
 * until the last token it could match has expired. A check is two Map look-ups, no I/O.
 */
export interface RevocationList {
  revokeToken(jti: string, expiresAt: number): void;
  /** Revokes every access token of a session issued up to now; kept until `until`. */
  revokeSession(sid: string, until: number): void;
  isRevoked(jti: string, sid: string | undefined, now: number): boolean;
  /** Drops entries past their expiry. */
  prune(now: number): void;
  size(): { tokens: number; sessions: number };
}

export function createRevocationList(): RevocationList {
  const tokens = new Map<string, number>();
  const sessions = new Map<string, number>();
  const keep = (map: Map<string, number>, key: string, until: number) => {
    const current = map.get(key);
    if (current === undefined || current < until) map.set(key, until);
  };
  const live = (map: Map<string, number>, key: string, now: number) => {
    const until = map.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    map.delete(key);
    return false;
  };
  return {
    revokeToken: (jti, expiresAt) => keep(tokens, jti, expiresAt),
    revokeSession: (sid, until) => keep(sessions, sid, until),
    isRevoked: (jti, sid, now) => live(tokens, jti, now) || (sid !== undefined && live(sessions, sid, now)),
    prune(now) {
      for (const map of [tokens, sessions]) for (const [k, until] of map) if (until <= now) map.delete(k);
    },
    size: () => ({ tokens: tokens.size, sessions: sessions.size }),
  };
}
