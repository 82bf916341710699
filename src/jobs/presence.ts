import type { Logger } from '../observability/logger.js';
import type { Clock } from '../shared/clock.js';
import type { LeaseRepository } from './ports.js';

/** Lease names of serving instances start with this. */
export const PRESENCE_PREFIX = 'instance:';

export interface Presence {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A serving instance keeps a lease `instance:<id>` alive (renewed every third of its TTL), so a
 * restore can tell that Vigil is using the database. A crashed instance's lease runs out.
 */
export function createPresence(deps: { leases: LeaseRepository; clock: Clock; instanceId: string; ttlMs: number; log: Logger }): Presence {
  const { leases, clock, instanceId, ttlMs, log } = deps;
  const name = `${PRESENCE_PREFIX}${instanceId}`;
  let timer: NodeJS.Timeout | undefined;
  const beat = async () => {
    if (!(await leases.renew(name, instanceId, clock.now(), ttlMs))) await leases.acquire(name, instanceId, clock.now(), ttlMs);
  };
  return {
    async start() {
      await beat();
      timer = setInterval(() => void beat().catch((e: unknown) => log.warn({ err: e }, 'could not renew the instance presence lease')), Math.max(200, Math.floor(ttlMs / 3)));
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await leases.release(name, instanceId).catch(() => undefined);
    },
  };
}
