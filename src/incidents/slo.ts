import type { SloBucket, SloRepository, SloTotals } from '../alerting/ports.js';
import type { HttpInterval } from '../alerting/signals/index.js';
import type { SloTargets } from '../config/alerting-parsers.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../shared/clock.js';
import { LATENCY_BOUNDS_MS } from '../storage/schema-alerting.js';
import { timeseries, type Timeseries, type TimeseriesWindow } from './timeseries.js';

/** One objective over a window: what counts, its target, and how much of its error budget is left. */
export interface SloKpi {
  name: string;
  description: string;
  /** Percent of `total` that must be good (`>=`), or may be bad (`<=`). */
  objective: '>=' | '<=';
  target: number;
  /** The measured percentage (good share for `>=`, bad share for `<=`); null without data. */
  actual: number | null;
  good: number;
  total: number;
  compliant: boolean | null;
  /** 1 = untouched, 0 = spent, below 0 = overspent; 1 without data. */
  error_budget_remaining: number;
}

export interface SloReport {
  from: string;
  to: string;
  window_seconds: number;
  /** Distinct minutes with traffic recorded in the window. */
  minutes_recorded: number;
  kpis: SloKpi[];
}

/** The latency thresholds the per-minute aggregates record (`slow_500`, `slow_1000`). */
export const RECORDED_LATENCY_MS = { p95: 500, p99: 1000 } as const;

const round = (n: number) => Math.round(n * 10_000) / 10_000;

function kpi(name: string, description: string, objective: '>=' | '<=', target: number, good: number, total: number): SloKpi {
  const bad = total - good;
  if (total <= 0) return { name, description, objective, target, actual: null, good, total, compliant: null, error_budget_remaining: 1 };
  const actual = objective === '>=' ? (good / total) * 100 : (bad / total) * 100;
  const allowedBad = objective === '>=' ? total * (1 - target / 100) : total * (target / 100);
  const remaining = allowedBad > 0 ? 1 - bad / allowedBad : bad === 0 ? 1 : 0;
  return { name, description, objective, target, actual: round(actual), good, total, compliant: objective === '>=' ? actual >= target : actual <= target, error_budget_remaining: round(remaining) };
}

/**
 * The seeds' objectives over summed minutes. Latency objectives are shares: p95 < 500 ms holds
 * when at least 95% of requests took at most 500 ms. The aggregates record the 500 ms and 1 s
 * thresholds; a p95_ms/p99_ms target other than those has no data (actual null).
 */
export function sloKpis(t: SloTotals, targets: SloTargets): SloKpi[] {
  const logins = t.login_success + t.login_failure;
  const tokens = t.token_success + t.token_failure;
  const latency = (q: 'p95' | 'p99', slow: number, share: number) =>
    targets[`${q}_ms`] === RECORDED_LATENCY_MS[q]
      ? kpi(`latency_${q}`, `${q} < ${targets[`${q}_ms`]} ms: at least ${share}% of requests within ${targets[`${q}_ms`]} ms`, '>=', share, t.requests - slow, t.requests)
      : kpi(`latency_${q}`, `${q} < ${targets[`${q}_ms`]} ms: not recorded (the aggregates hold ${RECORDED_LATENCY_MS[q]} ms)`, '>=', share, 0, 0);
  return [
    kpi('availability', 'Requests answered without a 5xx', '>=', targets.availability, t.requests - t.errors_5xx, t.requests),
    kpi('error_rate', 'Requests answered 5xx', '<=', targets.error_rate, t.requests - t.errors_5xx, t.requests),
    latency('p95', t.slow_500, 95),
    latency('p99', t.slow_1000, 99),
    kpi('login_success', 'Password logins that succeeded', '>=', targets.login_success, t.login_success, logins),
    kpi('failed_login_rate', 'Password logins that failed', '<=', targets.failed_login_rate, t.login_success, logins),
    kpi('registration_success', 'Registration attempts (not rate-limited) that created an account', '>=', targets.registration_success, t.registrations, t.registration_attempts),
    kpi('token_validation_success', 'Token and API-key authentications that succeeded', '>=', targets.token_validation_success, t.token_success, tokens),
  ];
}

export interface SloService {
  /** Adds one evaluation interval's HTTP totals to its minute (alerting's onSample calls it). */
  record(now: number, interval: HttpInterval): Promise<void>;
  /** Every KPI over the `windowMs` before now. */
  report(windowMs: number): Promise<SloReport>;
  totals(since: number, until: number): Promise<SloTotals>;
  /** Per-bucket sums over [since, until), buckets of `bucketMs` aligned to the epoch; empty buckets absent. */
  series(since: number, until: number, bucketMs: number): Promise<SloBucket[]>;
  /** The console's Overview series over the last hour or day (see timeseries.ts). */
  timeseries(window: TimeseriesWindow): Promise<Timeseries>;
}

/** Per-minute aggregates in `slo_minutes` (one row per minute and instance) and the reports over them. */
export function createSloService(deps: { repo: SloRepository; clock: Clock; targets: SloTargets; instanceId: string; logger: Logger }): SloService {
  const { repo, clock } = deps;
  return {
    async record(now, i) {
      if (Object.entries(i).every(([k, n]) => k === 'latency' || n === 0)) return;
      try {
        await repo.add({
          minute: Math.floor(now / 60_000) * 60_000, instance: deps.instanceId,
          requests: i.requests, errors_5xx: i.errors5xx, errors_4xx: i.errors4xx, slow_500: i.slow500, slow_1000: i.slow1000,
          login_success: i.loginSuccess, login_failure: i.loginFailure, registrations: i.registrations, registration_attempts: i.registrationAttempts,
          token_success: i.tokenSuccess, token_failure: i.tokenFailure,
          ...Object.fromEntries(LATENCY_BOUNDS_MS.map((ms) => [`le_${ms}ms`, i.latency?.[ms / 1000] ?? 0])),
        });
      } catch (e) {
        // A lost minute skews a report a little; failing the alert evaluation would be worse.
        deps.logger.warn({ err: e }, 'could not record the SLO minute');
      }
    },
    async report(windowMs) {
      const to = clock.now();
      const from = to - windowMs;
      const totals = await repo.totals(from, to);
      return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), window_seconds: windowMs / 1000, minutes_recorded: totals.minutes, kpis: sloKpis(totals, deps.targets) };
    },
    totals: (since, until) => repo.totals(since, until),
    series: (since, until, bucketMs) => repo.series(since, until, bucketMs),
    timeseries: (window) => timeseries(repo, window, clock.now()),
  };
}
