import type { Config } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../shared/clock.js';
import type { AccessClaims, AccessTokenCheck, AccessTokenCodec } from './access-tokens.js';
import type { BlacklistRepository, BlacklistStats, RefreshTokenRepository } from './ports.js';
import type { RefreshTokens } from './refresh-tokens.js';
import type { RevocationList } from './revocation.js';
import { createRevocationSync, type RevocationBus } from './revocation-sync.js';
import type { PublicKeyInfo, SigningKeyStore } from './signing-keys.js';

export interface IssuedTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

/**
 * Access tokens and their revocation. Revocations are written to the database (they survive
 * restarts) and to the in-memory list that every request checks.
 */
export interface TokenService {
  init(): Promise<void>;
  close(): void;
  issueAccess(user: { id: string; role: string }, sid: string, ttlMs?: number): Promise<{ token: string; claims: AccessClaims }>;
  /** Verifies signature and claims, then the revocation list. No I/O unless the kid is unknown. */
  verifyAccess(token: string): Promise<AccessTokenCheck>;
  /**
   * The claims of an access token this instance has verified before, still unexpired and not
   * revoked; undefined otherwise (never seen: `verifyAccess` decides). Synchronous, no I/O.
   */
  knownAccess(token: string): AccessClaims | undefined;
  revokeAccessToken(claims: Pick<AccessClaims, 'jti' | 'sub' | 'exp'>, reason: string): Promise<void>;
  revokeSession(sid: string, reason: string): Promise<void>;
  /** Revokes every session of a user (but `exceptSid`); returns how many. */
  revokeUserSessions(userId: string, reason: string, exceptSid?: string): Promise<number>;
  /** Revokes every session but `exceptSid` (emergency mode); returns how many. */
  revokeAllSessions(reason: string, exceptSid?: string): Promise<number>;
  isSessionRevoked(sid: string): Promise<boolean>;
  /**
   * Keeps sessions revoked whose refresh-token rows are deleted (a user erased): the revocation is
   * written to the blacklist table as `sid:<family>` until their access tokens have expired, since
   * the rows that would otherwise record it on a restart are gone. `lastIssuedAt`: when the session
   * last issued a token; sessions quiet for longer than the access-token TTL are skipped.
   */
  revokeDeletedSessions(sessions: readonly { sid: string; lastIssuedAt: number }[], reason: string): Promise<number>;
  jwks(): { keys: object[] };
  rotateKeys(): Promise<PublicKeyInfo>;
  listKeys(): PublicKeyInfo[];
  blacklistStats(): Promise<BlacklistStats>;
  accessTtlSeconds: number;
  refresh: RefreshTokens;
}

const MAINTENANCE_INTERVAL_MS = 60_000;
/** Blacklist rows that revoke a whole session rather than one access token (jtis are UUIDs: no clash). */
const SESSION_JTI = 'sid:';

export function createTokenService(deps: {
  config: Pick<Config['jwt'], 'accessTtlMs'>;
  clock: Clock;
  codec: AccessTokenCodec;
  keys: SigningKeyStore | undefined;
  revocations: RevocationList;
  blacklist: BlacklistRepository;
  refreshTokens: RefreshTokenRepository;
  refresh: RefreshTokens;
  /** Carries revocations to the other instances (the shared store's pub/sub); absent: this instance only. */
  bus?: RevocationBus;
  logger?: Pick<Logger, 'debug' | 'warn'>;
}): TokenService {
  const { clock, codec, revocations, keys } = deps;
  const ttl = deps.config.accessTtlMs;
  let timer: NodeJS.Timeout | undefined;
  const revoked = (c: AccessClaims) => revocations.isRevoked(c.jti, c.sid, clock.now());
  // A session revoked now can still have access tokens issued up to now: keep it for one TTL.
  const sessionHorizon = () => clock.now() + ttl + 1000;
  /** The durable revocations (the database) into the in-memory list; idempotent. */
  const loadRevocations = async () => {
    const now = clock.now();
    for (const e of await deps.blacklist.listActive(now)) {
      if (e.jti.startsWith(SESSION_JTI)) revocations.revokeSession(e.jti.slice(SESSION_JTI.length), e.expires_at);
      else revocations.revokeToken(e.jti, e.expires_at);
    }
    for (const f of await deps.refreshTokens.familiesRevokedSince(now - ttl - 1000)) {
      revocations.revokeSession(f.family_id, f.revoked_at + ttl + 1000);
    }
  };
  // After a shared-store outage, messages may have been missed: the database has them all.
  const sync = deps.bus && createRevocationSync({ bus: deps.bus, revocations, logger: deps.logger, resync: loadRevocations });

  return {
    accessTtlSeconds: Math.floor(ttl / 1000),
    refresh: deps.refresh,

    async init() {
      await keys?.init();
      // Subscribe first, so nothing revoked between the load and the subscription is missed.
      await sync?.start();
      await loadRevocations();
      timer = setInterval(() => {
        revocations.prune(clock.now());
        keys?.reload().catch(() => undefined);
      }, MAINTENANCE_INTERVAL_MS);
      timer.unref();
    },
    close() {
      if (timer) clearInterval(timer);
      void sync?.stop();
    },

    issueAccess: (user, sid, ttlMs) => codec.sign({ sub: user.id, sid, roles: [user.role], ...(ttlMs === undefined ? {} : { ttlMs }) }),

    async verifyAccess(token) {
      const check = await codec.verify(token);
      if (check.ok && revoked(check.claims)) return { ok: false, reason: 'revoked' };
      return check;
    },
    knownAccess(token) {
      const claims = codec.known(token);
      return claims && !revoked(claims) ? claims : undefined;
    },

    async revokeAccessToken(claims, reason) {
      const expiresAt = claims.exp * 1000;
      revocations.revokeToken(claims.jti, expiresAt);
      await deps.blacklist.add({ jti: claims.jti, user_id: claims.sub, expires_at: expiresAt, reason, created_at: clock.now() });
      await sync?.publishToken(claims.jti, expiresAt);
    },
    async revokeSession(sid, reason) {
      const until = sessionHorizon();
      revocations.revokeSession(sid, until);
      await deps.refreshTokens.revokeFamily(sid, clock.now(), reason);
      await sync?.publishSessions([sid], until);
    },
    async revokeUserSessions(userId, reason, exceptSid) {
      const families = await deps.refreshTokens.revokeUserFamilies(userId, clock.now(), reason, exceptSid);
      const until = sessionHorizon();
      for (const sid of families) revocations.revokeSession(sid, until);
      await sync?.publishSessions(families, until);
      return families.length;
    },
    async revokeAllSessions(reason, exceptSid) {
      const families = await deps.refreshTokens.revokeAll(clock.now(), reason, exceptSid);
      const until = sessionHorizon();
      for (const sid of families) revocations.revokeSession(sid, until);
      await sync?.publishSessions(families, until);
      return families.length;
    },
    isSessionRevoked: (sid) => deps.refreshTokens.isFamilyRevoked(sid),
    async revokeDeletedSessions(sessions, reason) {
      const now = clock.now();
      const until = sessionHorizon();
      // An access token of a session was issued with one of its refresh tokens, so lives at most a TTL after the last.
      const live = sessions.filter((s) => s.lastIssuedAt > now - ttl - 1000).map((s) => s.sid);
      for (const sid of live) revocations.revokeSession(sid, until);
      await sync?.publishSessions(live, until);
      for (const sid of live) await deps.blacklist.add({ jti: SESSION_JTI + sid, user_id: null, expires_at: until, reason, created_at: now });
      return live.length;
    },

    jwks: () => keys?.jwks() ?? { keys: [] },
    async rotateKeys() {
      if (!keys) throw new Error('JWT_ALGORITHM=HS256 has no key pairs to rotate');
      return keys.rotate();
    },
    listKeys: () => keys?.list() ?? [],
    blacklistStats: () => deps.blacklist.stats(clock.now()),
  };
}
