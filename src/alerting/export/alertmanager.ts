import { stringify } from 'yaml';
import type { AlertingConfig } from '../../config/alerting-config.js';
import { formatDuration } from '../../shared/duration.js';
import type { MaintenanceWindow } from '../maintenance.js';
import type { Matcher } from '../matchers.js';
import type { InhibitRule, Route } from '../routing.js';
import { exportReceivers, type ReceiversExport } from './receivers.js';
import { flattenRoutes, formatMatcher } from './routes.js';

/** The root route's receiver: Vigil sends an alert that no route matches nowhere. */
export const NO_RECEIVER = 'none';
/** The time interval of MAINTENANCE_WINDOWS, muting non-critical alerts. */
export const MAINTENANCE_INTERVAL = 'vigil-maintenance';

export interface AlertmanagerExport extends ReceiversExport {
  text: string;
}

export interface AlertmanagerExportInput {
  config: AlertingConfig;
  /** The active routes and inhibition (ALERT_ROUTES or the rules file, else the defaults). */
  routes: readonly Route[];
  inhibitRules: readonly InhibitRule[];
  /** Names of the configured receivers. */
  receivers: readonly string[];
  secretsDir: string;
  version: string;
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** MAINTENANCE_WINDOWS as Alertmanager time intervals (UTC); a window past midnight is split in two. */
export function timeIntervals(windows: readonly MaintenanceWindow[]): Record<string, unknown>[] {
  const one = (day: number | 'daily', start: number, end: number) => ({ ...(day === 'daily' ? {} : { weekdays: [DAYS[day]!] }), times: [{ start_time: hhmm(start), end_time: hhmm(end) }] });
  return windows.flatMap((w) => {
    if (w.startMinute < w.endMinute) return [one(w.day, w.startMinute, w.endMinute)];
    const next = w.day === 'daily' ? 'daily' : (w.day + 1) % 7;
    return [one(w.day, w.startMinute, 1440), ...(w.endMinute > 0 ? [one(next, 0, w.endMinute)] : [])];
  });
}

const matchers = (list: readonly Matcher[]) => (list.length > 0 ? { matchers: list.map(formatMatcher) } : {});
const isCritical = (m: Matcher) => m.name === 'severity' && m.op === '=' && m.value === 'critical';

/**
 * alertmanager.yml for Vigil's routing: the grouping settings on the root route, one child route
 * per receiver of each Vigil route (see flattenRoutes), the inhibition rules, MAINTENANCE_WINDOWS
 * as a time interval muting non-critical alerts, and the receivers (secrets in files).
 */
export function exportAlertmanager(input: AlertmanagerExportInput): AlertmanagerExport {
  const { config } = input;
  const receivers = exportReceivers(config, input.receivers, input.secretsDir);
  const exported = new Set(receivers.receivers.map((r) => r.name as string));
  const maintenance = config.maintenanceWindows.length > 0;
  const routes = flattenRoutes(input.routes, (name) => exported.has(name)).flatMap((r): Record<string, unknown>[] => {
    const base = { receiver: r.receiver, continue: true };
    if (!maintenance || r.matchers.some(isCritical)) return [{ ...base, ...matchers(r.matchers) }];
    // Critical alerts are never muted by a maintenance window; the others are.
    return [
      { ...base, ...matchers([...r.matchers, { name: 'severity', op: '=', value: 'critical' }]) },
      { ...base, ...matchers([...r.matchers, { name: 'severity', op: '!=', value: 'critical' }]), mute_time_intervals: [MAINTENANCE_INTERVAL] },
    ];
  });
  const doc = {
    route: {
      receiver: NO_RECEIVER,
      group_by: config.groupBy,
      group_wait: formatDuration(config.groupWaitMs),
      group_interval: formatDuration(config.groupIntervalMs),
      repeat_interval: formatDuration(config.repeatIntervalMs),
      ...(routes.length > 0 ? { routes } : {}),
    },
    ...(input.inhibitRules.length > 0
      ? { inhibit_rules: input.inhibitRules.map((r) => ({ ...(r.source.length > 0 ? { source_matchers: r.source.map(formatMatcher) } : {}), ...(r.target.length > 0 ? { target_matchers: r.target.map(formatMatcher) } : {}), ...(r.equal.length > 0 ? { equal: r.equal } : {}) })) }
      : {}),
    ...(maintenance ? { time_intervals: [{ name: MAINTENANCE_INTERVAL, time_intervals: timeIntervals(config.maintenanceWindows) }] } : {}),
    receivers: [{ name: NO_RECEIVER }, ...receivers.receivers],
  };
  const header = [
    `Alertmanager configuration written by \`vigil alerts export\` (Vigil ${input.version}) from Vigil's routing`,
    '(ALERT_ROUTES or the rules file, ALERT_GROUP_*, ALERT_REPEAT_INTERVAL, MAINTENANCE_WINDOWS) and receivers.',
    'No secret is written here: the *_file settings name files to create (mode 0600, readable by Alertmanager).',
    ...receivers.secretFiles.map((f) => `- ${f.path}: the value of ${f.from}`),
    ...(receivers.webhook === 'placeholder' ? ['The webhook URL carries a credential: replace the placeholder url with ALERT_WEBHOOK_URL (Alertmanager 0.25 has no url_file).'] : []),
    ...receivers.notExported.map((n) => `Receiver ${n.receiver} is not exported: ${n.reason}.`),
    'See docs/operations.md#export.',
  ];
  return { ...receivers, text: `${header.map((l) => `# ${l}`).join('\n')}\n${stringify(doc, { lineWidth: 0 })}` };
}
