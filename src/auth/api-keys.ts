import type { Config } from '../config/index.js';
import type { Clock } from '../shared/clock.js';
import { constantTimeEqual, newId, randomToken, sha256 } from '../shared/crypto.js';
import type { EventContext, SecurityEvents } from '../security-monitoring/events.js';
import type { Principal } from './principal.js';
import type { ApiKeyRecord, ApiKeyRepository, ApiKeyScope } from './ports.js';

export const API_KEY_PREFIX = 'vgl_';
const PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
const TOUCH_INTERVAL_MS = 60_000;

export type ApiKeyCheck = { ok: true; principal: Extract<Principal, { kind: 'api_key' }> } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

/**
 * API keys: `vgl_` + 256 random bits, shown once, stored as SHA-256 (a high-entropy key needs no
 * slow hash). PUBLIC_API_KEY / ADMIN_API_KEY from the environment are accepted too, compared in
 * constant time.
 */
export interface ApiKeyService {
  create(input: { name: string; scope: ApiKeyScope; expiresInMs?: number; createdBy?: string }, ctx: EventContext): Promise<{ key: string; record: ApiKeyRecord }>;
  authenticate(raw: string, ctx: EventContext): Promise<ApiKeyCheck>;
  list(): Promise<ApiKeyRecord[]>;
  /** Revokes by id or prefix; undefined when no active key matched. */
  revoke(idOrPrefix: string, ctx: EventContext): Promise<ApiKeyRecord | undefined>;
}

export function createApiKeyService(deps: {
  repo: ApiKeyRepository;
  clock: Clock;
  events: SecurityEvents;
  staticKeys: Config['apiKeys'];
  onError: (e: unknown) => void;
}): ApiKeyService {
  const { repo, clock, events } = deps;
  const lastTouch = new Map<string, number>();
  const staticKeys = (['admin', 'public'] as const)
    .map((scope) => ({ scope, value: deps.staticKeys[scope] }))
    .filter((k): k is { scope: 'admin' | 'public'; value: string } => !!k.value);

  return {
    async create({ name, scope, expiresInMs, createdBy }, ctx) {
      const key = API_KEY_PREFIX + randomToken(32);
      const now = clock.now();
      const record: ApiKeyRecord = {
        id: newId(),
        name,
        prefix: key.slice(0, PREFIX_LENGTH),
        key_hash: sha256(key),
        scope,
        created_at: now,
        expires_at: expiresInMs === undefined ? null : now + expiresInMs,
        last_used_at: null,
        revoked_at: null,
        created_by: createdBy ?? null,
      };
      await repo.insert(record);
      events.emit('API_KEY_CREATED', ctx, { key_id: record.id, name, scope });
      return { key, record };
    },

    async authenticate(raw, ctx) {
      // Every static key is compared (no early exit) so timing does not tell which one matched.
      let matched: 'admin' | 'public' | undefined;
      for (const k of staticKeys) if (constantTimeEqual(raw, k.value)) matched ??= k.scope;
      if (matched) return { ok: true, principal: { kind: 'api_key', keyId: null, name: `${matched.toUpperCase()}_API_KEY`, scope: matched } };

      const record = raw.startsWith(API_KEY_PREFIX) ? await repo.findByHash(sha256(raw)) : undefined;
      const now = clock.now();
      const reason = !record ? 'unknown' : record.revoked_at !== null ? 'revoked' : record.expires_at !== null && record.expires_at <= now ? 'expired' : undefined;
      if (reason || !record) {
        events.emit('API_KEY_REJECTED', ctx, { prefix: raw.startsWith(API_KEY_PREFIX) ? raw.slice(0, PREFIX_LENGTH) : null, reason: reason ?? 'unknown' });
        return { ok: false, reason: reason ?? 'unknown' };
      }
      if (now - (lastTouch.get(record.id) ?? 0) > TOUCH_INTERVAL_MS) {
        lastTouch.set(record.id, now);
        repo.touch(record.id, now).catch(deps.onError);
      }
      return { ok: true, principal: { kind: 'api_key', keyId: record.id, name: record.name, scope: record.scope } };
    },

    list: () => repo.list(),

    async revoke(idOrPrefix, ctx) {
      const record = await repo.revoke(idOrPrefix, clock.now());
      if (record) events.emit('API_KEY_REVOKED', ctx, { key_id: record.id, name: record.name });
      return record;
    },
  };
}
