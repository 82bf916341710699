import type { Registry } from 'prom-client';
import { Ring, slotsFor } from './ring.js';
import { scalar, type Signal, type SignalSource } from './types.js';

/** Totals of one evaluation interval, read from the Prometheus instruments (also the SLO minutes' input). */
export interface HttpInterval {
  requests: number;
  errors5xx: number;
  errors4xx: number;
  /** Requests that took longer than 0.5 s and 1 s. */
  slow500: number;
  slow1000: number;
  registrations: number;
  registrationAttempts: number;
  loginSuccess: number;
  loginFailure: number;
  tokenSuccess: number;
  tokenFailure: number;
  /**
   * Requests of the interval that took at most each finite bound of the duration histogram
   * (seconds → count, cumulative like Prometheus' `le` buckets); absent without metrics.
   */
  latency?: Record<number, number>;
}

type Counter = Exclude<keyof HttpInterval, 'latency'>;

const ZERO: Record<Counter, number> = { requests: 0, errors5xx: 0, errors4xx: 0, slow500: 0, slow1000: 0, registrations: 0, registrationAttempts: 0, loginSuccess: 0, loginFailure: 0, tokenSuccess: 0, tokenFailure: 0 };

interface Cumulative extends Record<Counter, number> {
  buckets: Map<number, number>;
}

async function values(registry: Registry, name: string) {
  const metric = registry.getSingleMetric(name);
  return metric ? (await metric.get()).values : [];
}

/** Reads the cumulative counters of the registry (summed over routes). */
async function readCumulative(registry: Registry): Promise<Cumulative> {
  const c: Cumulative = { ...ZERO, buckets: new Map() };
  for (const v of await values(registry, 'vigil_http_requests_total')) {
    const status = Number(v.labels.status);
    c.requests += v.value;
    if (status >= 500) c.errors5xx += v.value;
    else if (status >= 400) c.errors4xx += v.value;
    if (v.labels.route === '/api/v1/auth/register' && v.labels.method === 'POST' && status !== 429) {
      c.registrationAttempts += v.value;
      if (status < 300) c.registrations += v.value;
    }
  }
  for (const v of await values(registry, 'vigil_http_request_duration_seconds')) {
    if ((v as { metricName?: string }).metricName?.endsWith('_bucket') !== true) continue;
    const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le);
    c.buckets.set(le, (c.buckets.get(le) ?? 0) + v.value);
  }
  const inf = c.buckets.get(Number.POSITIVE_INFINITY) ?? 0;
  c.slow500 = inf - (c.buckets.get(0.5) ?? 0);
  c.slow1000 = inf - (c.buckets.get(1) ?? 0);
  for (const v of await values(registry, 'vigil_auth_attempts_total')) {
    const ok = v.labels.result === 'success';
    const failed = v.labels.result === 'failure';
    if (v.labels.method === 'password') {
      if (ok) c.loginSuccess += v.value;
      if (failed) c.loginFailure += v.value;
    } else {
      if (ok) c.tokenSuccess += v.value;
      if (failed) c.tokenFailure += v.value;
    }
  }
  return c;
}

/** Histogram quantile as Prometheus computes it: linear within the bucket that holds the rank. */
export function quantile(q: number, bounds: number[], counts: number[]): number | undefined {
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! >= rank) {
      const upper = bounds[i]!;
      if (upper === Number.POSITIVE_INFINITY) return bounds[i - 1] ?? 0;
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const below = i === 0 ? 0 : counts[i - 1]!;
      const inBucket = counts[i]! - below;
      return inBucket <= 0 ? upper : lower + (upper - lower) * ((rank - below) / inBucket);
    }
  }
  return undefined;
}

/**
 * HTTP error ratios, request rate, latency percentiles and SLO burn rate, from the instruments
 * the metrics hooks already feed (no data when PROMETHEUS_METRICS=false).
 */
export function httpSignals(deps: { registry: Registry | undefined; intervalMs: number; maxWindowMs: number; availabilityTarget: number }): SignalSource & { last(): HttpInterval } {
  const { intervalMs } = deps;
  const capacity = slotsFor(deps.maxWindowMs, intervalMs);
  const latencyCapacity = slotsFor(3_600_000, intervalMs);
  const requests = new Ring(capacity);
  const errors5xx = new Ring(capacity);
  const errors4xx = new Ring(capacity);
  let bounds: number[] = [];
  let bucketRings: Ring[] = [];
  let previous: Cumulative | undefined;
  let last: HttpInterval = ZERO;

  const ratio = (errors: Ring, windowMs: number) => {
    const n = slotsFor(windowMs, intervalMs);
    const total = requests.sum(n);
    return total > 0 ? errors.sum(n) / total : undefined;
  };
  const latency = (q: number, windowMs: number) => {
    const n = Math.min(slotsFor(windowMs, intervalMs), latencyCapacity);
    return quantile(q, bounds, bucketRings.map((r) => r.sum(n)));
  };
  const budget = 1 - deps.availabilityTarget;

  const signals: Signal[] = [
    { name: 'http_5xx_ratio', help: 'Share of requests answered 5xx over the window (0–1).', windowed: true, read: (w) => scalar(ratio(errors5xx, w)) },
    { name: 'http_4xx_ratio', help: 'Share of requests answered 4xx over the window (0–1).', windowed: true, read: (w) => scalar(ratio(errors4xx, w)) },
    { name: 'http_requests_per_second', help: 'Requests per second over the window.', windowed: true, read: (w) => (previous ? scalar(requests.sum(slotsFor(w, intervalMs)) / (w / 1000)) : []) },
    { name: 'http_latency_p95_seconds', help: '95th percentile of request duration over the window (at most 1 h), from the histogram buckets.', windowed: true, read: (w) => scalar(latency(0.95, w)) },
    { name: 'http_latency_p99_seconds', help: '99th percentile of request duration over the window (at most 1 h).', windowed: true, read: (w) => scalar(latency(0.99, w)) },
    {
      name: 'slo_burn_rate',
      help: 'Error-budget burn rate over the window: 5xx ratio divided by (1 − availability target). 1 spends the budget exactly over the SLO period.',
      windowed: true,
      read: (w) => {
        const r = ratio(errors5xx, w);
        return scalar(r === undefined ? undefined : r / budget);
      },
    },
  ];

  return {
    signals,
    last: () => last,
    async sample() {
      if (!deps.registry) return;
      const now = await readCumulative(deps.registry);
      const before = previous;
      const delta = (k: Counter) => Math.max(0, now[k] - (before?.[k] ?? 0));
      const latency = Object.fromEntries([...now.buckets].filter(([le]) => Number.isFinite(le)).map(([le, n]) => [le, Math.max(0, n - (before?.buckets.get(le) ?? 0))]));
      last = { ...(Object.fromEntries(Object.keys(ZERO).map((k) => [k, delta(k as Counter)])) as Record<Counter, number>), latency };
      requests.push(last.requests);
      errors5xx.push(last.errors5xx);
      errors4xx.push(last.errors4xx);
      if (bounds.length === 0 && now.buckets.size > 0) {
        bounds = [...now.buckets.keys()].sort((a, b) => a - b);
        bucketRings = bounds.map(() => new Ring(latencyCapacity));
      }
      bounds.forEach((le, i) => bucketRings[i]!.push(Math.max(0, (now.buckets.get(le) ?? 0) - (before?.buckets.get(le) ?? 0))));
      previous = now;
    },
  };
}
