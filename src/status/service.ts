import type { Incidents } from '../incidents/service.js';
import type { SloService } from '../incidents/slo.js';
import type { HealthSnapshot } from '../observability/health.js';
import type { Logger } from '../observability/logger.js';
import { timedCheck } from '../observability/health-checks.js';
import type { Clock } from '../shared/clock.js';
import { deriveStatus, uptimeSince, type StatusView } from './derive.js';

/** How long a computed view is served before the next request computes it again. */
export const STATUS_CACHE_MS = 30_000;
/** A database read the page waits for at most (the page answers from what it has after that). */
const READ_TIMEOUT_MS = 2_000;
/** More open incidents than this are not listed one by one (each costs a timeline read). */
const MAX_INCIDENTS = 20;

export interface StatusPage {
  /** The current view: computed at most once per STATUS_CACHE_MS, whatever the request rate. */
  view(): Promise<StatusView>;
}

export function createStatusPage(deps: {
  clock: Clock;
  logger: Logger;
  health: () => Pick<HealthSnapshot, 'status' | 'services'>;
  /** Undefined when ALERTING_ENABLED=false (no incidents). */
  incidents: Pick<Incidents, 'list' | 'get'> | undefined;
  slo: Pick<SloService, 'series'>;
  /** The category of an alert rule by name (alerting's rules); undefined for an unknown rule. */
  categoryOf: (rule: string) => string | undefined;
  cacheMs?: number;
}): StatusPage {
  const cacheMs = deps.cacheMs ?? STATUS_CACHE_MS;
  let cached: { at: number; view: StatusView } | undefined;
  let computing: Promise<StatusView> | undefined;

  async function read<T>(what: string, run: () => Promise<T>): Promise<T | undefined> {
    const r = await timedCheck(run, READ_TIMEOUT_MS);
    if (r.status === 'ok') return r.value;
    deps.logger.warn({ what, status: r.status, error: r.error }, 'the status page could not read its data');
    return undefined;
  }

  async function openIncidents() {
    const inc = deps.incidents;
    if (!inc) return [];
    const active = [...(await inc.list({ status: 'open', limit: MAX_INCIDENTS })), ...(await inc.list({ status: 'acknowledged', limit: MAX_INCIDENTS }))].slice(0, MAX_INCIDENTS);
    const found = await Promise.all(active.map((i) => inc.get(i.id)));
    return found.filter((f) => f !== undefined);
  }

  async function compute(): Promise<StatusView> {
    const now = deps.clock.now();
    const [incidents, days] = await Promise.all([read('incidents', openIncidents), read('uptime', () => deps.slo.series(uptimeSince(now), now + 1, 86_400_000))]);
    const snapshot = deps.health();
    const view = deriveStatus({ now, health: { status: snapshot.status, database: snapshot.services.database.status }, incidents, days, categoryOf: deps.categoryOf });
    cached = { at: now, view };
    return view;
  }

  return {
    view() {
      if (cached && deps.clock.now() - cached.at < cacheMs) return Promise.resolve(cached.view);
      // One computation at a time: concurrent requests share it.
      computing ??= compute().finally(() => {
        computing = undefined;
      });
      return computing;
    },
  };
}
