import type { Logger } from '../observability/logger.js';
import type { KeyValueStore } from '../storage/kv/ports.js';
import type { RevocationList } from './revocation.js';

/**
 * What revocation sync needs from the shared store: publish/subscribe, and (optionally) word of
 * the store coming back after an outage, when messages may have been missed.
 */
export type RevocationBus = Pick<KeyValueStore, 'publish' | 'subscribe'> & Partial<Pick<KeyValueStore, 'onStatusChange'>>;

export const REVOCATIONS_CHANNEL = 'revocations';

/** On the wire: one revoked access token, or revoked sessions; `until` in epoch milliseconds. */
export type RevocationMessage = { jti: string; until: number } | { sids: string[]; until: number };

/** Sessions per message: revoking every session (emergency mode) is sent in chunks of this. */
const SIDS_PER_MESSAGE = 500;
const MAX_ID_LENGTH = 256;

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;

/** The message, or undefined when it is not one (never throws). */
export function parseRevocationMessage(raw: string): RevocationMessage | undefined {
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null) return undefined;
  const { jti, sids, until } = m as Record<string, unknown>;
  if (typeof until !== 'number' || !Number.isFinite(until)) return undefined;
  if (isId(jti) && sids === undefined) return { jti, until };
  if (jti === undefined && Array.isArray(sids) && sids.length <= SIDS_PER_MESSAGE && sids.every(isId)) return { sids, until };
  return undefined;
}

export interface RevocationSync {
  /** Subscribes: revocations published by any instance are applied to the local list. */
  start(): Promise<void>;
  stop(): Promise<void>;
  publishToken(jti: string, until: number): Promise<void>;
  publishSessions(sids: readonly string[], until: number): Promise<void>;
}

/**
 * Carries revocations between instances within about a second: the revoking instance publishes,
 * every instance (itself included) applies the message to its in-memory list; applying is
 * idempotent. Pub/sub is at most once, so the database stays the durable truth: it is loaded at
 * start, and again (`resync`) whenever the bus reports it is back after an outage.
 */
export function createRevocationSync(deps: {
  bus: RevocationBus;
  revocations: RevocationList;
  logger?: Pick<Logger, 'debug' | 'warn'>;
  /** Reloads revocations from the database; called when the bus comes back `up`. */
  resync?: () => Promise<void>;
}): RevocationSync {
  const { bus, revocations, logger } = deps;
  let unsubscribe: (() => Promise<void>) | undefined;
  let malformedLogged = false;
  let stopped = false;

  const apply = (raw: string) => {
    const m = parseRevocationMessage(raw);
    if (!m) {
      if (!malformedLogged) logger?.debug({ channel: REVOCATIONS_CHANNEL, length: raw.length }, 'ignored a malformed revocation message (logged once)');
      malformedLogged = true;
      return;
    }
    if ('jti' in m) revocations.revokeToken(m.jti, m.until);
    else for (const sid of m.sids) revocations.revokeSession(sid, m.until);
  };

  const publish = async (message: RevocationMessage) => {
    try {
      await deps.bus.publish(REVOCATIONS_CHANNEL, JSON.stringify(message));
    } catch (err) {
      // Already in the database and in this instance's list; the others catch up on their next resync.
      logger?.warn({ err }, 'could not publish a revocation to other instances');
    }
  };

  return {
    async start() {
      unsubscribe = await bus.subscribe(REVOCATIONS_CHANNEL, apply);
      bus.onStatusChange?.((status) => {
        if (status !== 'up' || stopped || !deps.resync) return;
        deps.resync().catch((err: unknown) => logger?.warn({ err }, 'could not reload revocations after the shared store came back'));
      });
    },
    async stop() {
      stopped = true;
      await unsubscribe?.();
      unsubscribe = undefined;
    },
    publishToken: (jti, until) => publish({ jti, until }),
    async publishSessions(sids, until) {
      for (let i = 0; i < sids.length; i += SIDS_PER_MESSAGE) await publish({ sids: sids.slice(i, i + SIDS_PER_MESSAGE), until });
    },
  };
}
