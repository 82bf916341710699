import { parseMaintenanceWindows, type MaintenanceWindow } from '../alerting/maintenance.js';
import { parseRoutes, type Route } from '../alerting/routing.js';
import { parseDuration } from '../shared/duration.js';
import { InvalidValue, type Parser } from './parsers.js';

/** A duration that may also be `0` (group_wait: send at once). */
export const durationOrZero: Parser<number> = {
  expected: 'a duration such as 0, 500ms, 30s or 5m',
  parse(raw) {
    if (raw.trim() === '0') return 0;
    const ms = parseDuration(raw);
    if (ms === undefined) throw new InvalidValue(this.expected);
    return ms;
  },
};

/** ALERT_ROUTES (routing.ts parseRoutes). */
export const alertRoutes: Parser<Route[]> = {
  expected: '`;`-separated matchers:receivers, e.g. severity=critical:pagerduty,slack;category=security:slack',
  parse(raw) {
    try {
      return parseRoutes(raw);
    } catch (e) {
      throw new InvalidValue(`${this.expected} (${(e as Error).message})`);
    }
  },
};

/** MAINTENANCE_WINDOWS (maintenance.ts). */
export const maintenanceWindows: Parser<MaintenanceWindow[]> = {
  expected: 'comma-separated weekly UTC windows such as "sun 02:00-04:00" or "daily 03:00-03:30"',
  parse(raw) {
    try {
      return parseMaintenanceWindows(raw);
    } catch (e) {
      throw new InvalidValue(`${this.expected} (${(e as Error).message})`);
    }
  },
};

/** A comma list of label names (ALERT_GROUP_BY). */
export const labelNames: Parser<string[]> = {
  expected: 'comma-separated label names, e.g. alertname,category',
  parse(raw) {
    const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
    if (names.some((n) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n))) throw new InvalidValue(this.expected);
    return names;
  },
};

/** The SLO and KPI targets (percentages, latency in ms). */
export interface SloTargets {
  availability: number;
  p95_ms: number;
  p99_ms: number;
  error_rate: number;
  login_success: number;
  registration_success: number;
  token_validation_success: number;
  failed_login_rate: number;
}

/** Seeds 001/003. */
export const DEFAULT_SLO_TARGETS: SloTargets = { availability: 99.9, p95_ms: 500, p99_ms: 1000, error_rate: 0.1, login_success: 98, registration_success: 95, token_validation_success: 99.9, failed_login_rate: 2 };

/** SLO_TARGETS: `name=number` pairs overriding the defaults. */
export const sloTargets: Parser<SloTargets> = {
  expected: `comma-separated name=number, names ${Object.keys(DEFAULT_SLO_TARGETS).join(', ')} (percentages; p95_ms/p99_ms in ms)`,
  parse(raw) {
    const out: SloTargets = { ...DEFAULT_SLO_TARGETS };
    for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [name, value] = item.split('=').map((s) => s.trim());
      const n = Number(value);
      if (!name || !(name in out) || value === undefined || value === '' || !Number.isFinite(n) || n < 0 || (!name.endsWith('_ms') && n > 100)) throw new InvalidValue(this.expected);
      out[name as keyof SloTargets] = n;
    }
    return out;
  },
};
