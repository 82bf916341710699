import type { SecurityEvent } from '../../security-monitoring/events.js';
import type { Signal, SignalSource } from './types.js';

export type { Signal, SignalSource } from './types.js';
export { httpSignals, type HttpInterval } from './http.js';
export { securitySignals } from './security.js';
export { systemSignals, memoryLimitBytes } from './system.js';
export { tokenSignals } from './tokens.js';
export { jobSignals } from './jobs.js';
export { notificationSignals } from './notifications.js';

/** The longest window a rule may use: SLO burn rates look back 3 days. */
export const MAX_WINDOW_MS = 3 * 86_400_000;

/** Every signal by name, sampled together once per evaluation interval. */
export interface SignalSet {
  get(name: string): Signal | undefined;
  names(): string[];
  sample(now: number): Promise<void>;
  observe(event: SecurityEvent): void;
}

export function signalSet(sources: SignalSource[]): SignalSet {
  const byName = new Map<string, Signal>();
  for (const source of sources) for (const signal of source.signals) byName.set(signal.name, signal);
  const observers = sources.filter((s) => s.observe).map((s) => s.observe!.bind(s));
  return {
    get: (name) => byName.get(name),
    names: () => [...byName.keys()],
    async sample(now) {
      for (const source of sources) await source.sample?.(now);
    },
    observe(event) {
      for (const o of observers) o(event);
    },
  };
}
