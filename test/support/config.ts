import { loadConfig, type Config, type Env } from '../../src/config/index.js';

/** Settings every test shares: in-memory SQLite, a fixed key-encryption key, a cheap hash. */
export const TEST_ENV: Env = {
  ENVIRONMENT: 'development',
  DATABASE_URL: 'sqlite::memory:',
  SIGNING_KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789abcdef',
  PASSWORD_HASH_MEMORY_KIB: '1024',
  PASSWORD_HASH_ITERATIONS: '1',
  LOG_LEVEL: 'silent',
  // Protection relaxed so suites about other things are not throttled or locked out from
  // 127.0.0.1; the protection suites turn it back on (protectedEnv).
  RATE_LIMIT_ENABLED: 'false',
  IP_ALLOWLIST: '127.0.0.1,::1',
  ACCOUNT_LOCKOUT_THRESHOLD: '1000',
};

/** The production defaults of protection, for the suites that test it. */
export const PROTECTED_ENV: Env = { RATE_LIMIT_ENABLED: 'true', IP_ALLOWLIST: '', ACCOUNT_LOCKOUT_THRESHOLD: '5' };

export function testConfig(overrides: Env = {}): Config {
  return loadConfig({ ...TEST_ENV, ...overrides });
}

/** A password the policy accepts. */
export const STRONG_PASSWORD = 'correct-Horse-battery-staple-42';
export const OTHER_STRONG_PASSWORD = 'Tr0ub4dor&3-but-much-longer-now';
