import type { Config } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import type { EventContext, SecurityEvents } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import { clientKey } from '../shared/ip.js';
import type { KeyValueStore } from '../storage/kv/ports.js';
import { detectorsFrom, type Signal } from './detectors/catalog.js';
import { createDetectorEngine, type DetectorEngine } from './detectors/engine.js';
import { createEmergencyMode, type EmergencyMode } from './emergency.js';
import { createIpBlockService, type IpBlockService } from './ip-blocks.js';
import { createLockoutService, type LockoutService } from './lockout.js';
import type { AccountLockRepository, IpBlockRepository, SettingsRepository } from './ports.js';
import { createRateLimits, type RateLimits } from './rate-limits.js';

export type { Signal } from './detectors/catalog.js';
export type { LockoutService } from './lockout.js';
export type { EmergencyMode, EmergencyState } from './emergency.js';
export type { IpBlockService } from './ip-blocks.js';
export { RateLimitExceeded, rateLimitHeaders, type LimitState, type Layer } from './rate-limits.js';

/** Rate limits, IP blocks, account lockout, emergency mode and the detectors, as one capability. */
export interface Protection {
  config: Config['protection'];
  rateLimits: RateLimits;
  ipBlocks: IpBlockService;
  lockout: LockoutService;
  emergency: EmergencyMode;
  detectors: DetectorEngine;
  /** The key a client IP is limited and blocked by (IPv6 per network). */
  ipKey(ip: string): string;
  /** Observes security events and 401/403 answers (the detectors' input). */
  observe(signal: Signal): void;
  init(): Promise<void>;
  close(): Promise<void>;
}

export function createProtection(deps: {
  config: Config['protection'];
  kv: KeyValueStore;
  /** The Redis client the rate limits share counters through; absent: in-process counters. */
  redis?: unknown;
  redisKeyPrefix: string;
  repos: { ipBlocks: IpBlockRepository; accountLocks: AccountLockRepository; settings: SettingsRepository };
  clock: Clock;
  events: SecurityEvents;
  log: (component: string) => Logger;
}): Protection {
  const { config, kv, clock, events } = deps;
  const logger = deps.log('protection');
  const ipKey = (ip: string) => clientKey(ip, config.rateLimits.ipv6Prefix);
  const rateLimits = createRateLimits({ config: config.rateLimits, redis: deps.redis, keyPrefix: deps.redisKeyPrefix, logger });
  const ipBlocks = createIpBlockService({ repo: deps.repos.ipBlocks, kv, clock, events, logger, config: config.ipBlocks, ipv6Prefix: config.rateLimits.ipv6Prefix });
  const lockout = createLockoutService({ kv, repo: deps.repos.accountLocks, clock, events, config: config.lockout });
  const emergency = createEmergencyMode({ repo: deps.repos.settings, kv, clock, events, logger, config: config.emergency });
  const system: EventContext = {};
  const detectors = createDetectorEngine({
    detectors: detectorsFrom(config),
    kv,
    clock,
    events,
    ipKey,
    logger,
    responses: {
      async blockIp(ip, reason) {
        if (ipBlocks.isAllowlisted(ip) || ipBlocks.blockFor(ip)) return false;
        await ipBlocks.block({ target: ip, reason, source: 'auto' }, { ip });
        return true;
      },
      async lockAccount(account, reason) {
        await lockout.lock(account, reason, system);
        return true;
      },
    },
  });

  return {
    config,
    rateLimits,
    ipBlocks,
    lockout,
    emergency,
    detectors,
    ipKey,
    observe: (signal) => detectors.observe(signal),
    async init() {
      await ipBlocks.init();
      await emergency.init();
    },
    async close() {
      await detectors.idle();
      await ipBlocks.close();
      await emergency.close();
    },
  };
}
