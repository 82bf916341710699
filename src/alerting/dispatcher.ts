import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import { canonicalLabels } from './fingerprint.js';
import { inMaintenance, type MaintenanceWindow } from './maintenance.js';
import { common, ZERO_TIME, type MessageAlert, type NotificationMessage } from './message.js';
import { inhibited, receiversFor, type InhibitRule, type Route } from './routing.js';
import type { Silences } from './silences.js';
import type { Alert, Labels } from './types.js';

export interface GroupingConfig {
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

export interface DispatcherConfig extends GroupingConfig {
  routes: Route[];
  inhibit: InhibitRule[];
  maintenance: MaintenanceWindow[];
  externalUrl: string;
}

/** Why an alert was not sent. */
export type Muted = { by: 'silence'; id: string } | { by: 'inhibition' } | { by: 'maintenance' };

interface Group {
  key: string;
  receiver: string;
  labels: Labels;
  alerts: Map<string, Alert>;
  /** fingerprint → status as last notified. */
  sent: Map<string, string>;
  nextFlushAt: number;
  lastSentAt: number | undefined;
}

/**
 * Alertmanager's notification semantics in process: alerts are routed to receivers and grouped
 * (group_by); a new group waits group_wait, changes go out every group_interval, an unchanged
 * firing group is repeated every repeat_interval. Silenced, inhibited and (non-critical) alerts in
 * a maintenance window are left out. Each notification goes to the outbox (`enqueue`).
 */
export interface Dispatcher {
  /** An alert fired or resolved. */
  receive(alert: Alert): void;
  /** Sends what is due at `now` (called every second, and by tests after moving the clock). */
  flush(now?: number): Promise<void>;
  /** Why this alert would be muted now, if it would. */
  muted(alert: Pick<Alert, 'labels' | 'severity'>, now?: number): Muted | undefined;
}

export function toMessageAlert(a: Alert, externalUrl: string): MessageAlert {
  return {
    status: a.state === 'resolved' ? 'resolved' : 'firing',
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(a.firedAt ?? a.activeAt).toISOString(),
    endsAt: a.resolvedAt === undefined ? ZERO_TIME : new Date(a.resolvedAt).toISOString(),
    generatorURL: `${externalUrl}/api/v1/admin/alerts?fingerprint=${a.fingerprint}`,
    fingerprint: a.fingerprint,
  };
}

export function createDispatcher(deps: {
  config: DispatcherConfig;
  clock: Clock;
  silences: Pick<Silences, 'silenced'>;
  /** Alerts firing now (inhibition sources). */
  firing: () => Alert[];
  enqueue: (message: NotificationMessage, idempotencyKey: string) => Promise<void>;
}): Dispatcher {
  const { config, clock } = deps;
  const groups = new Map<string, Group>();

  function muted(alert: Pick<Alert, 'labels' | 'severity'>, now = clock.now()): Muted | undefined {
    const silence = deps.silences.silenced(alert.labels, now);
    if (silence) return { by: 'silence', id: silence.id };
    if (alert.severity !== 'critical' && inMaintenance(config.maintenance, now)) return { by: 'maintenance' };
    if (inhibited(config.inhibit, alert.labels, deps.firing().filter((a) => a.state === 'firing').map((a) => a.labels))) return { by: 'inhibition' };
    return undefined;
  }

  async function send(group: Group, alerts: Alert[], now: number) {
    const list = alerts.map((a) => toMessageAlert(a, config.externalUrl));
    const message: NotificationMessage = {
      kind: 'alert',
      receiver: group.receiver,
      status: list.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      groupKey: group.key,
      groupLabels: group.labels,
      commonLabels: common(list.map((a) => a.labels)),
      commonAnnotations: common(list.map((a) => a.annotations)),
      externalURL: config.externalUrl,
      alerts: list,
    };
    const key = createHash('sha256').update(`${group.key}|${now}|${list.map((a) => `${a.fingerprint}:${a.status}`).join(',')}`).digest('hex').slice(0, 32);
    await deps.enqueue(message, key);
  }

  return {
    muted,
    receive(alert) {
      if (alert.state !== 'firing' && alert.state !== 'resolved') return;
      const now = clock.now();
      for (const receiver of receiversFor(config.routes, alert.labels)) {
        const labels = Object.fromEntries(config.groupBy.filter((l) => alert.labels[l] !== undefined).map((l) => [l, alert.labels[l]!]));
        const key = `{}/${receiver}:{${canonicalLabels(labels)}}`;
        let group = groups.get(key);
        if (!group) {
          // A resolution of an alert never announced to this group has nothing to resolve.
          if (alert.state === 'resolved') continue;
          group = { key, receiver, labels, alerts: new Map(), sent: new Map(), nextFlushAt: now + config.groupWaitMs, lastSentAt: undefined };
          groups.set(key, group);
        }
        group.alerts.set(alert.fingerprint, alert);
      }
    },
    async flush(now = clock.now()) {
      for (const [key, group] of groups) {
        if (now < group.nextFlushAt) continue;
        const visible = [...group.alerts.values()].filter((a) => (a.state === 'resolved' ? group.sent.get(a.fingerprint) === 'firing' : muted(a, now) === undefined));
        const changed = visible.length !== group.sent.size || visible.some((a) => group.sent.get(a.fingerprint) !== a.state);
        const repeat = group.lastSentAt !== undefined && now - group.lastSentAt >= config.repeatIntervalMs && visible.some((a) => a.state === 'firing');
        if (visible.length > 0 && (changed || repeat)) {
          await send(group, visible, now);
          group.lastSentAt = now;
          group.sent = new Map(visible.filter((a) => a.state === 'firing').map((a) => [a.fingerprint, a.state]));
        } else if (visible.length === 0) {
          // Nothing to say (all muted): forget what was announced, so unmuting announces again.
          group.sent = new Map();
        }
        for (const [fp, a] of group.alerts) if (a.state === 'resolved') group.alerts.delete(fp);
        if (group.alerts.size === 0) groups.delete(key);
        else group.nextFlushAt = now + config.groupIntervalMs;
      }
    },
  };
}
