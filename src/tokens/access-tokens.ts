import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, type JWTHeaderParameters } from 'jose';
import type { JwtAlgorithm } from '../config/index.js';
import { epochSeconds, type Clock } from '../shared/clock.js';
import { newId } from '../shared/crypto.js';
import type { SigningKeyStore } from './signing-keys.js';

/** The claims Vigil puts in an access token (RFC 9068 profile, `typ: at+jwt`). */
export interface AccessClaims {
  iss: string;
  aud: string;
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  /** The session (refresh-token family) the token belongs to. */
  sid: string;
  roles: string[];
}

export type AccessTokenFailure =
  | 'malformed'
  | 'bad_signature'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'expired'
  | 'not_yet_valid'
  | 'claim_invalid'
  | 'revoked';

/** Checking a token never throws: it answers with the claims or the reason it failed. */
export type AccessTokenCheck = { ok: true; claims: AccessClaims } | { ok: false; reason: AccessTokenFailure };

export interface AccessTokenCodec {
  /** Signs an access token; `ttlMs` shortens it (emergency mode), default JWT_ACCESS_TTL. */
  sign(input: { sub: string; sid: string; roles: string[]; ttlMs?: number }): Promise<{ token: string; claims: AccessClaims }>;
  verify(token: string): Promise<AccessTokenCheck>;
  /** The claims of a token `verify` has accepted before, while it has not expired: no signature work, no promise. */
  known(token: string): AccessClaims | undefined;
}

const TYP = 'at+jwt';
const VERIFIED_CACHE_MAX = 10_000;

export function createAccessTokenCodec(deps: {
  clock: Clock;
  algorithm: JwtAlgorithm;
  /** HS256 only. */
  secret?: string;
  /** EdDSA / ES256 only. */
  keys?: SigningKeyStore;
  issuer: string;
  audience: string;
  ttlMs: number;
}): AccessTokenCodec {
  const { clock, algorithm, issuer, audience } = deps;
  const hmacKey: KeyObject | undefined = algorithm === 'HS256' ? createSecretKey(Buffer.from(deps.secret ?? '', 'utf8')) : undefined;
  if (algorithm === 'HS256' && !deps.secret) throw new Error('HS256 needs JWT_SECRET');
  if (algorithm !== 'HS256' && !deps.keys) throw new Error(`${algorithm} needs a signing key store`);

  // Tokens already verified, by their exact text (signature included), until they expire: a client
  // sends the same token for its whole lifetime, and the signature check is most of a request's
  // CPU. Bounded; the oldest entry goes first. Revocation is still checked on every request.
  const verified = new Map<string, AccessClaims>();
  const remember = (token: string, claims: AccessClaims) => {
    if (verified.size >= VERIFIED_CACHE_MAX) verified.delete(verified.keys().next().value!);
    verified.set(token, claims);
  };
  /** A token verified before: its claims until it expires, then 'expired' (and forgotten); undefined if never seen. */
  const recall = (token: string): AccessClaims | 'expired' | undefined => {
    const claims = verified.get(token);
    if (!claims || claims.exp > epochSeconds(clock.now())) return claims;
    verified.delete(token);
    return 'expired';
  };

  class UnknownKey extends Error {}
  const resolveKey = async (header: JWTHeaderParameters): Promise<KeyObject> => {
    if (hmacKey) return hmacKey;
    const key = header.kid ? await deps.keys!.verificationKey(header.kid) : undefined;
    if (!key) throw new UnknownKey();
    return key;
  };

  return {
    async sign({ sub, sid, roles, ttlMs = deps.ttlMs }) {
      const nowMs = clock.now();
      const claims: AccessClaims = {
        iss: issuer,
        aud: audience,
        sub,
        jti: newId(),
        iat: epochSeconds(nowMs),
        exp: epochSeconds(nowMs + ttlMs),
        sid,
        roles,
      };
      let header: JWTHeaderParameters;
      let key: KeyObject;
      if (hmacKey) {
        header = { alg: 'HS256', typ: TYP };
        key = hmacKey;
      } else {
        const signing = deps.keys!.signingKey();
        header = { alg: signing.alg, typ: TYP, kid: signing.kid };
        key = signing.key;
      }
      const token = await new SignJWT({ sid, roles }).setProtectedHeader(header).setIssuer(issuer).setAudience(audience)
        .setSubject(sub).setJti(claims.jti).setIssuedAt(claims.iat).setExpirationTime(claims.exp).sign(key);
      return { token, claims };
    },

    known(token) {
      const claims = recall(token);
      return claims === 'expired' ? undefined : claims;
    },

    async verify(token) {
      const known = recall(token);
      if (known === 'expired') return { ok: false, reason: 'expired' };
      if (known) return { ok: true, claims: known };
      try {
        const { payload } = await jwtVerify(token, resolveKey, {
          algorithms: [algorithm],
          issuer,
          audience,
          typ: TYP,
          currentDate: new Date(clock.now()),
          requiredClaims: ['sub', 'jti', 'iat', 'exp', 'sid'],
        });
        if (typeof payload.sid !== 'string' || !Array.isArray(payload.roles) || !payload.roles.every((r) => typeof r === 'string')) {
          return { ok: false, reason: 'claim_invalid' };
        }
        const claims = payload as unknown as AccessClaims;
        remember(token, claims);
        return { ok: true, claims };
      } catch (e) {
        return { ok: false, reason: failureOf(e, UnknownKey) };
      }
    },
  };
}

function failureOf(e: unknown, unknownKey: new () => Error): AccessTokenFailure {
  if (e instanceof unknownKey) return 'unknown_key';
  if (e instanceof joseErrors.JWTExpired) return 'expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return e.claim === 'nbf' ? 'not_yet_valid' : 'claim_invalid';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm_not_allowed';
  return 'malformed';
}
