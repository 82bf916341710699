/** Source of the current time. Everything that computes an expiry or a window takes one. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock for tests: frozen at `start` until moved with `advance` or `set`. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

/** Whole seconds since the epoch, as JWT `iat`/`exp` use. */
export const epochSeconds = (ms: number): number => Math.floor(ms / 1000);
