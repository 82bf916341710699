import { Ring, slotsFor } from './ring.js';
import { scalar, type SignalSource } from './types.js';

/** Notifications the outbox gave up on (dead-lettered) within the window. */
export function notificationSignals(deps: { intervalMs: number; maxWindowMs: number }): SignalSource & { deadLettered(): void } {
  const ring = new Ring(slotsFor(deps.maxWindowMs, deps.intervalMs));
  let current = 0;
  return {
    deadLettered: () => void current++,
    signals: [
      { name: 'notifications_dead_lettered', help: 'Notifications dead-lettered after ALERT_MAX_ATTEMPTS within the window.', windowed: true, read: (w) => scalar(ring.sum(slotsFor(w, deps.intervalMs))) },
    ],
    sample() {
      ring.push(current);
      current = 0;
    },
  };
}
