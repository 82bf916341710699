import type { Config } from '../config/index.js';
import type { EventContext, SecurityEvents } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import type { KeyValueStore } from '../storage/kv/ports.js';
import type { AccountLockRepository, LockedAccount } from './ports.js';

type Account = { id: string; email: string; locked_until: number | null };

export type Attempt = { ok: true; count: number } | { ok: false };

/**
 * Account lockout: ACCOUNT_LOCKOUT_THRESHOLD failures within the window lock the account for
 * ACCOUNT_LOCKOUT_DURATION. Each attempt takes a ticket from an atomic counter *before* the
 * password is checked, so any number of parallel guesses gets at most `threshold` checks.
 * A success returns its ticket (the counter is cleared). The lock itself is on the user row,
 * which every instance reads on each login.
 */
export interface LockoutService {
  /** Call before verifying a password; `ok: false` means locked (answer as a wrong password). */
  begin(account: Account): Promise<Attempt>;
  /** A wrong password on a ticket from `begin`. */
  failed(account: Account, attempt: { count: number }, ctx: EventContext): Promise<void>;
  /** A correct password: clears the failures; ends an expired lock. */
  succeeded(account: Account, ctx: EventContext): Promise<void>;
  /** Locks an account now (a detector's response). */
  lock(account: { id: string; email: string }, reason: string, ctx: EventContext): Promise<void>;
  /** Ends a lock by hand (CLI, admin API); returns whether the account was locked. */
  unlock(account: Account, ctx: EventContext, actor: string): Promise<boolean>;
  listLocked(): Promise<LockedAccount[]>;
  policy(): { threshold: number; window_seconds: number; duration_seconds: number };
}

export function createLockoutService(deps: {
  kv: KeyValueStore;
  repo: AccountLockRepository;
  clock: Clock;
  events: SecurityEvents;
  config: Config['protection']['lockout'];
}): LockoutService {
  const { kv, repo, clock, events, config } = deps;
  const key = (userId: string) => `lockout:${userId}`;

  async function lock(account: { id: string; email: string }, failures: number, ctx: EventContext): Promise<void> {
    const until = clock.now() + config.durationMs;
    await repo.lock(account.id, until);
    events.emit('ACCOUNT_LOCKED', { ...ctx, user_id: account.id }, { email: account.email, failures, until });
  }

  return {
    async begin(account) {
      const now = clock.now();
      if (account.locked_until !== null && account.locked_until > now) return { ok: false };
      let { count } = await kv.increment(key(account.id), config.windowMs);
      if (count > config.threshold && account.locked_until !== null) {
        // The failures that caused a lock that has now expired: start afresh.
        await kv.delete(key(account.id));
        ({ count } = await kv.increment(key(account.id), config.windowMs));
      }
      return count > config.threshold ? { ok: false } : { ok: true, count };
    },

    async failed(account, attempt, ctx) {
      if (attempt.count >= config.threshold) await lock(account, attempt.count, ctx);
    },

    lock: (account, _reason, ctx) => lock(account, config.threshold, ctx),

    async succeeded(account, ctx) {
      await kv.delete(key(account.id));
      if (account.locked_until === null) return;
      await repo.unlock(account.id);
      events.emit('ACCOUNT_UNLOCKED', { ...ctx, user_id: account.id }, { email: account.email, source: 'login' });
      if (ctx.ip && !(await repo.hasSignedInFrom(account.id, ctx.ip))) {
        // The lock ended and the right password came from somewhere new: worth a look.
        events.emit('SUSPICIOUS_ACTIVITY', { ...ctx, user_id: account.id }, { kind: 'login_after_lockout_from_new_ip', evidence: { ip: ctx.ip }, response: 'notify' });
      }
    },

    async unlock(account, ctx, actor) {
      await kv.delete(key(account.id));
      const was = await repo.unlock(account.id);
      if (was) {
        events.emit('ACCOUNT_UNLOCKED', { ...ctx, user_id: account.id }, { email: account.email, source: 'manual' });
        events.emit('ADMIN_ACTION', ctx, { action: 'account_unlock', target: account.id, actor });
      }
      return was;
    },

    listLocked: () => repo.listLocked(clock.now()),
    policy: () => ({ threshold: config.threshold, window_seconds: config.windowMs / 1000, duration_seconds: config.durationMs / 1000 }),
  };
}
