import type { Database } from './db.js';
import { createApiKeyRepository } from './repositories/api-keys.js';
import { createRefreshTokenRepository } from './repositories/refresh-tokens.js';
import { createSecurityEventRepository } from './repositories/security-events.js';
import { createSigningKeyRepository } from './repositories/signing-keys.js';
import { createBlacklistRepository } from './repositories/token-blacklist.js';
import { createUserRepository } from './repositories/users.js';
import { createAccountLockRepository, createIpBlockRepository, createSettingsRepository } from './repositories/protection.js';

export { openDatabase, type Database, type Dialect } from './db.js';
export { migrateToLatest, migrationStatus, migrationsCurrent } from './migrations/index.js';
export type { DB } from './schema.js';

/** Every repository over one database. Only the composition root holds this; services get single ports. */
export function createRepositories(database: Database) {
  const { db } = database;
  return {
    users: createUserRepository(db),
    apiKeys: createApiKeyRepository(db),
    refreshTokens: createRefreshTokenRepository(db),
    blacklist: createBlacklistRepository(db),
    signingKeys: createSigningKeyRepository(db),
    securityEvents: createSecurityEventRepository(db),
    ipBlocks: createIpBlockRepository(db),
    accountLocks: createAccountLockRepository(db),
    settings: createSettingsRepository(db),
  };
}
export type Repositories = ReturnType<typeof createRepositories>;
