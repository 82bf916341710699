import type { SecurityEvent } from '../security-monitoring/events.js';
import type { Incidents } from './service.js';

const when = (until: number | null) => (until === null ? 'until lifted' : `until ${new Date(until).toISOString()}`);

/** The timeline line of an action Vigil (or an operator) took that bears on open incidents; undefined for other events. */
export function actionText(event: SecurityEvent): string | undefined {
  switch (event.type) {
    case 'IP_BLOCKED':
      return `IP ${event.details.target} blocked ${when(event.details.until)} (${event.details.source}: ${event.details.reason})`;
    case 'IP_UNBLOCKED':
      return `IP ${event.details.target} unblocked (${event.details.source})`;
    case 'ACCOUNT_LOCKED':
      return `account ${event.user_id ?? 'unknown'} locked ${when(event.details.until)} after ${event.details.failures} failed logins`;
    case 'EMERGENCY_MODE_CHANGED':
      return `emergency auth mode ${event.details.enabled ? 'on' : 'off'} (${event.details.source})`;
    default:
      return undefined;
  }
}

/**
 * Appends blocks, lockouts and emergency-mode switches to the timeline of every open incident,
 * one after another so the timeline keeps the order they happened in.
 */
export function recordAutomatedActions(incidents: Incidents, onError: (e: unknown) => void): (event: SecurityEvent) => void {
  let last: Promise<void> = Promise.resolve();
  return (event) => {
    const text = actionText(event);
    if (text) last = last.then(() => incidents.recordAction(text)).catch(onError);
  };
}
