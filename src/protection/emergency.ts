import type { Config } from '../config/index.js';
import { AppError } from '../errors/index.js';
import type { Logger } from '../observability/logger.js';
import type { EventContext, SecurityEvents } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import type { KeyValueStore } from '../storage/kv/ports.js';
import type { SettingsRepository } from './ports.js';
import { keepReloaded } from './keep-reloaded.js';

const KEY = 'emergency_mode';
const CHANNEL = 'settings';
const RELOAD_INTERVAL_MS = 30_000;

export interface EmergencyState {
  enabled: boolean;
  /** `config` when EMERGENCY_AUTH_MODE=true forces it on (then it cannot be switched off at run time). */
  source: 'config' | 'cli' | 'admin_api' | null;
  since: number | null;
  by: string | null;
  access_token_ttl_seconds: number;
}

/**
 * Emergency auth mode (seed 003's security-incident runbook): registration closed, only admins
 * may sign in or refresh, access tokens short-lived. Shared through the database and pub/sub.
 */
export interface EmergencyMode {
  init(): Promise<void>;
  /** From memory: checked on every login. */
  enabled(): boolean;
  state(): EmergencyState;
  /** Switches it; `revokeSessions` is applied by the caller (it owns the tokens). */
  set(enabled: boolean, input: { source: 'cli' | 'admin_api'; actor: string; sessionsRevoked?: number }, ctx: EventContext): Promise<EmergencyState>;
  close(): Promise<void>;
}

export function createEmergencyMode(deps: {
  repo: SettingsRepository;
  kv: KeyValueStore;
  clock: Clock;
  events: SecurityEvents;
  logger: Logger;
  config: Config['protection']['emergency'];
}): EmergencyMode {
  const { repo, kv, clock, events, config } = deps;
  const ttl = config.accessTtlMs / 1000;
  let current: EmergencyState = config.enabled
    ? { enabled: true, source: 'config', since: clock.now(), by: null, access_token_ttl_seconds: ttl }
    : { enabled: false, source: null, since: null, by: null, access_token_ttl_seconds: ttl };
  let stopReloading: (() => Promise<void>) | undefined;

  async function reload(): Promise<void> {
    if (config.enabled) return;
    const row = await repo.get(KEY);
    if (!row) return;
    const stored = JSON.parse(row.value) as { enabled: boolean; source: 'cli' | 'admin_api' };
    current = { enabled: stored.enabled, source: stored.source, since: row.updated_at, by: row.updated_by, access_token_ttl_seconds: ttl };
  }
  const reloadQuietly = () => reload().catch((e: unknown) => deps.logger.error({ err: e }, 'reloading emergency mode failed'));

  return {
    async init() {
      await reload();
      stopReloading = await keepReloaded(kv, CHANNEL, () => void reloadQuietly(), RELOAD_INTERVAL_MS);
      if (current.enabled) deps.logger.warn({ source: current.source }, 'EMERGENCY AUTH MODE is on: only admins may sign in');
    },
    enabled: () => current.enabled,
    state: () => current,
    async set(enabled, input, ctx) {
      if (config.enabled && !enabled) {
        throw new AppError('conflict', 'Emergency mode is forced on by EMERGENCY_AUTH_MODE=true; change the configuration and restart to end it');
      }
      const now = clock.now();
      await repo.set(KEY, JSON.stringify({ enabled, source: input.source }), now, input.actor);
      current = { enabled, source: input.source, since: now, by: input.actor, access_token_ttl_seconds: ttl };
      await kv.publish(CHANNEL, KEY);
      events.emit('EMERGENCY_MODE_CHANGED', ctx, { enabled, source: input.source, ...(input.sessionsRevoked === undefined ? {} : { sessions_revoked: input.sessionsRevoked }) });
      events.emit('ADMIN_ACTION', ctx, { action: enabled ? 'emergency_on' : 'emergency_off', actor: input.actor });
      return current;
    },
    async close() {
      await stopReloading?.();
    },
  };
}
