import type { ApiKeyService } from '../auth/api-keys.js';
import type { PasswordHasher } from '../auth/passwords.js';
import type { AuthService } from '../auth/service.js';
import { isAppError } from '../errors/index.js';
import type { Metrics } from './metrics.js';

/**
 * Instrumented decorators of the auth services, applied in the composition root: the services
 * stay free of metrics, and what is counted is decided where the answer is known. Password
 * logins are counted from their security events instead (they alone tell a lockout apart from
 * a wrong password, which the HTTP answer deliberately does not).
 */

const seconds = (startNs: bigint) => Number(process.hrtime.bigint() - startNs) / 1e9;

/** Times every argon2id computation: hashing, verifying, and the dummy verify of unknown emails. */
export function timedHasher(hasher: PasswordHasher, metrics: Metrics): PasswordHasher {
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      metrics.passwordHashDuration.observe(seconds(start));
    }
  };
  return {
    hash: (password) => timed(() => hasher.hash(password)),
    verify: (passwordHash, password) => timed(() => hasher.verify(passwordHash, password)),
    verifyDummy: (password) => timed(() => hasher.verifyDummy(password)),
    needsRehash: (passwordHash) => hasher.needsRehash(passwordHash),
  };
}

/** Counts refresh-token attempts: success, failure (invalid, spent, reused), blocked (emergency mode). */
export function countedRefresh(auth: AuthService, metrics: Metrics): AuthService {
  return {
    ...auth,
    async refresh(refreshToken, ctx) {
      try {
        const issued = await auth.refresh(refreshToken, ctx);
        metrics.authAttempts.inc({ method: 'refresh', result: 'success' });
        return issued;
      } catch (e) {
        if (isAppError(e) && e.code === 'invalid_refresh_token') metrics.authAttempts.inc({ method: 'refresh', result: 'failure' });
        else if (isAppError(e) && e.code === 'emergency_mode') metrics.authAttempts.inc({ method: 'refresh', result: 'blocked' });
        throw e;
      }
    },
  };
}

/** Counts API-key authentications: success, or failure (unknown, revoked, expired). */
export function countedApiKeys(apiKeys: ApiKeyService, metrics: Metrics): ApiKeyService {
  return {
    ...apiKeys,
    async authenticate(raw, ctx) {
      const check = await apiKeys.authenticate(raw, ctx);
      metrics.authAttempts.inc({ method: 'api_key', result: check.ok ? 'success' : 'failure' });
      return check;
    },
  };
}
