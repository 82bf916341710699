import type { SecurityEvent } from '../../security-monitoring/events.js';
import type { Series } from '../types.js';

/** A typed quantity rules compare with thresholds. `read` returns [] when there is no data. */
export interface Signal {
  name: string;
  help: string;
  /** True when it is read over a window (`window:` in a rule); false for an instant value. */
  windowed: boolean;
  /** The label each series carries when the signal is per key (ip, user_id); undefined for one series. */
  key?: string;
  /** Prepares the state for a window before the first read (keyed windows are kept incrementally). */
  prepare?(windowMs: number): void;
  read(windowMs: number): Series[];
}

/** One group of signals with where they come from. Registered in signals/index.ts. */
export interface SignalSource {
  signals: Signal[];
  /** Once per evaluation interval, before rules read: closes the interval's samples. */
  sample?(now: number): Promise<void> | void;
  /** Every security event (the source counts what it needs). */
  observe?(event: SecurityEvent): void;
}

/** One series without labels, or none when the value is undefined or not a number. */
export const scalar = (value: number | undefined | null): Series[] =>
  value === undefined || value === null || Number.isNaN(value) ? [] : [{ labels: {}, value }];
