import type { Config } from '../config/index.js';
import { AppError } from '../errors/index.js';
import type { Logger } from '../observability/logger.js';
import type { EventContext, SecurityEvents } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/crypto.js';
import { clientKey, contains, IpSet, parseIp, parseTarget, type IpTarget } from '../shared/ip.js';
import type { KeyValueStore } from '../storage/kv/ports.js';
import type { IpBlockRecord, IpBlockRepository } from './ports.js';
import { keepReloaded } from './keep-reloaded.js';

const CHANNEL = 'ip-blocks';
const RELOAD_INTERVAL_MS = 30_000;
const REPEAT_WINDOW_MS = 30 * 86_400_000;

export interface BlockInput {
  /** An IP or CIDR range; automatic blocks pass the client key. */
  target: string;
  /** null: until lifted by hand; undefined: the configured duration, doubled per repeat offence. */
  durationMs?: number | null;
  reason: string;
  source: 'auto' | 'manual';
  actor?: string;
}

/**
 * IP blocks: kept in the database, cached in memory for the check every request makes, and
 * reloaded on every instance when any instance changes them (pub/sub), or every 30 s at worst.
 * Addresses on IP_ALLOWLIST are never blocked.
 */
export interface IpBlockService {
  init(): Promise<void>;
  isAllowlisted(ip: string): boolean;
  /** The block in force for this address, from memory. */
  blockFor(ip: string): IpBlockRecord | undefined;
  block(input: BlockInput, ctx: EventContext): Promise<IpBlockRecord>;
  /** Lifts the active blocks of a target; returns how many were lifted. */
  unblock(target: string, ctx: EventContext, actor?: string): Promise<number>;
  listActive(): Promise<IpBlockRecord[]>;
  /** Blocks in force now, from memory (the vigil_blocked_ips gauge). */
  activeCount(): number;
  close(): Promise<void>;
}

interface Cached {
  target: IpTarget;
  record: IpBlockRecord;
}

export function createIpBlockService(deps: {
  repo: IpBlockRepository;
  kv: KeyValueStore;
  clock: Clock;
  events: SecurityEvents;
  logger: Logger;
  config: Config['protection']['ipBlocks'];
  ipv6Prefix: number;
}): IpBlockService {
  const { repo, kv, clock, events, config } = deps;
  const allowlist = new IpSet(config.allowlist);
  let exact = new Map<string, IpBlockRecord>();
  let ranges: Cached[] = [];
  let stopReloading: (() => Promise<void>) | undefined;

  async function reload(): Promise<void> {
    const nextExact = new Map<string, IpBlockRecord>();
    const nextRanges: Cached[] = [];
    for (const record of await repo.listActive(clock.now())) {
      const target = parseTarget(record.target);
      if (!target) continue;
      const host = target.range[1] === (target.kind === 'ipv4' ? 32 : 128);
      if (host) {
        const current = nextExact.get(target.text);
        if (!current || laterExpiry(record, current)) nextExact.set(target.text, record);
      } else nextRanges.push({ target, record });
    }
    exact = nextExact;
    ranges = nextRanges;
  }

  const reloadQuietly = () => reload().catch((e: unknown) => deps.logger.error({ err: e }, 'reloading IP blocks failed'));
  const live = (r: IpBlockRecord, now: number) => r.expires_at === null || r.expires_at > now;

  function validTarget(raw: string): IpTarget {
    const target = parseTarget(raw);
    if (!target) throw new AppError('validation_failed', `${JSON.stringify(raw.slice(0, 64))} is not an IP address or CIDR range`, { errors: [{ pointer: '/target', detail: 'must be an IP address or CIDR range' }] });
    return target;
  }

  const service: IpBlockService = {
    async init() {
      await reload();
      stopReloading = await keepReloaded(kv, CHANNEL, () => void reloadQuietly(), RELOAD_INTERVAL_MS);
    },

    isAllowlisted: (ip) => allowlist.has(ip),

    blockFor(ip) {
      if (exact.size === 0 && ranges.length === 0) return undefined;
      const addr = parseIp(ip);
      if (!addr || allowlist.has(ip)) return undefined;
      const now = clock.now();
      const direct = exact.get(addr.toString());
      if (direct && live(direct, now)) return direct;
      return ranges.find((r) => live(r.record, now) && contains(r.target, addr))?.record;
    },

    async block(input, ctx) {
      const target = validTarget(input.source === 'auto' ? clientKey(input.target, deps.ipv6Prefix) : input.target);
      if (target.range[1] === 0) throw new AppError('validation_failed', 'Refusing to block every address', { errors: [{ pointer: '/target', detail: 'must not be a /0 range' }] });
      const firstAddress = target.text.split('/')[0]!;
      if (allowlist.has(firstAddress)) throw new AppError('conflict', `${target.text} is on IP_ALLOWLIST and is never blocked`);
      const now = clock.now();
      const offence = (await repo.countSince(target.text, now - REPEAT_WINDOW_MS)) + 1;
      const durationMs =
        input.durationMs === undefined ? Math.min(config.durationMs * 2 ** Math.min(offence - 1, 30), config.maxDurationMs) : input.durationMs;
      const record: IpBlockRecord = {
        id: newId(),
        target: target.text,
        reason: input.reason.slice(0, 500),
        source: input.source,
        offence,
        created_at: now,
        expires_at: durationMs === null ? null : now + durationMs,
        lifted_at: null,
        created_by: input.actor ?? null,
      };
      await repo.insert(record);
      await reload();
      await kv.publish(CHANNEL, 'changed');
      events.emit('IP_BLOCKED', ctx, { target: record.target, reason: record.reason, until: record.expires_at, source: record.source, offence });
      if (input.actor) events.emit('ADMIN_ACTION', ctx, { action: 'ip_block', target: record.target, actor: input.actor });
      return record;
    },

    async unblock(raw, ctx, actor) {
      const target = validTarget(raw);
      const lifted = await repo.lift(target.text, clock.now());
      if (lifted > 0) {
        await reload();
        await kv.publish(CHANNEL, 'changed');
        events.emit('IP_UNBLOCKED', ctx, { target: target.text, source: 'manual' });
        if (actor) events.emit('ADMIN_ACTION', ctx, { action: 'ip_unblock', target: target.text, actor });
      }
      return lifted;
    },

    listActive: () => repo.listActive(clock.now()),

    activeCount() {
      const now = clock.now();
      let n = 0;
      for (const r of exact.values()) if (live(r, now)) n++;
      for (const r of ranges) if (live(r.record, now)) n++;
      return n;
    },

    async close() {
      await stopReloading?.();
    },
  };
  return service;
}

function laterExpiry(a: IpBlockRecord, b: IpBlockRecord): boolean {
  if (a.expires_at === null) return true;
  if (b.expires_at === null) return false;
  return a.expires_at > b.expires_at;
}
