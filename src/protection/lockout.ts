import type { Config } from '../config/index.js';
import type { EventContext, SecurityEvents } from '../security-monitoring/events.js';
import type { Clock } from '../shared/clock.js';
import type { KeyValueStore } from '../storage/kv/ports.js';
import type { AccountLockRepository, LockedAccount } from './ports.js';

type Account = { id: string; email: string; locked_until: number | null };

export type Attempt = { ok: true } | { ok: false };

const IN_FLIGHT_TTL_MS = 30_000;
const WAIT_STEP_MS = 25;
const MAX_WAIT_MS = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Account lockout: ACCOUNT_LOCKOUT_THRESHOLD failures within the window lock the account for
 * ACCOUNT_LOCKOUT_DURATION. Two atomic counters make it race-free: failures, and attempts in
 * flight. An attempt may check the password only while failures + attempts in flight stay within
 * the threshold, so any number of parallel guesses gets at most `threshold` checks; an attempt
 * that finds the budget taken by others in flight waits for them (a burst of correct logins all
 * get through once the first succeed). The lock itself is on the user row, which every instance
 * reads on each login.
 */
export interface LockoutService {
  /** Call before verifying a password; `ok: false` means locked (answer as a wrong password). */
  begin(account: Account): Promise<Attempt>;
  /** A wrong password after a successful `begin`. */
  failed(account: Account, ctx: EventContext): Promise<void>;
  /** A correct password after a successful `begin`: clears the failures; ends an expired lock. */
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
  const failures = (userId: string) => `lockout:failures:${userId}`;
  const inFlight = (userId: string) => `lockout:inflight:${userId}`;
  const release = (userId: string) => kv.increment(inFlight(userId), IN_FLIGHT_TTL_MS, -1);

  // Set once a lock is in the database; until then a spent budget means a lock is being written.
  const lockedMark = (userId: string) => `lockout:locked:${userId}`;
  const lockedNow = async (userId: string) => ((await repo.lockedUntil(userId)) ?? 0) > clock.now();

  async function lock(account: { id: string; email: string }, count: number, ctx: EventContext): Promise<void> {
    const until = clock.now() + config.durationMs;
    // The failure count now lives exactly as long as the lock: attempts that raced the lock still
    // see the budget spent, and once the lock ends the account starts afresh.
    await kv.set(failures(account.id), String(Math.max(count, config.threshold)), config.durationMs);
    await repo.lock(account.id, until);
    await kv.set(lockedMark(account.id), String(until), config.durationMs);
    events.emit('ACCOUNT_LOCKED', { ...ctx, user_id: account.id }, { email: account.email, failures: count, until });
  }

  return {
    async begin(account) {
      if (account.locked_until !== null && account.locked_until > clock.now()) return { ok: false };
      for (let waited = 0; ; waited += WAIT_STEP_MS) {
        const { count: flying } = await kv.increment(inFlight(account.id), IN_FLIGHT_TTL_MS);
        const failed = Number((await kv.get(failures(account.id))) ?? 0);
        if (failed + flying <= config.threshold) return { ok: true };
        await release(account.id);
        if (failed >= config.threshold && (await kv.get(lockedMark(account.id))) !== undefined && !(await lockedNow(account.id))) {
          // A lock was written, and the database no longer has it: an admin lifted it (perhaps
          // from another process without Redis to tell us). Start afresh.
          await Promise.all([kv.delete(failures(account.id)), kv.delete(lockedMark(account.id))]);
          continue;
        }
        // Over budget because of failures: locked. Because of others in flight: wait for them.
        if (failed >= config.threshold || waited >= MAX_WAIT_MS) return { ok: false };
        await sleep(WAIT_STEP_MS);
      }
    },

    async failed(account, ctx) {
      const { count } = await kv.increment(failures(account.id), config.windowMs);
      await release(account.id);
      if (count === config.threshold) await lock(account, count, ctx);
    },

    lock: (account, _reason, ctx) => lock(account, config.threshold, ctx),

    async succeeded(account, ctx) {
      await kv.delete(failures(account.id));
      await release(account.id);
      if (account.locked_until === null) return;
      await repo.unlock(account.id);
      events.emit('ACCOUNT_UNLOCKED', { ...ctx, user_id: account.id }, { email: account.email, source: 'login' });
      if (ctx.ip && !(await repo.hasSignedInFrom(account.id, ctx.ip))) {
        // The lock ended and the right password came from somewhere new: worth a look.
        events.emit('SUSPICIOUS_ACTIVITY', { ...ctx, user_id: account.id }, { kind: 'login_after_lockout_from_new_ip', evidence: { ip: ctx.ip }, response: 'notify' });
      }
    },

    async unlock(account, ctx, actor) {
      await Promise.all([kv.delete(failures(account.id)), kv.delete(lockedMark(account.id))]);
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
