import type { SloBucket } from '../alerting/ports.js';
import { quantile } from '../alerting/signals/http.js';
import { LATENCY_BOUNDS_MS, type LatencyColumn } from '../storage/schema-alerting.js';
import type { SloService } from './slo.js';

export type TimeseriesWindow = '1h' | '24h';

/** 1 h in 60 one-minute buckets, 24 h in 96 buckets of 15 minutes. */
export const TIMESERIES_WINDOWS: Record<TimeseriesWindow, { bucketMs: number; buckets: number }> = {
  '1h': { bucketMs: 60_000, buckets: 60 },
  '24h': { bucketMs: 900_000, buckets: 96 },
};

export interface TimeseriesPoint {
  /** The bucket's start (ISO). */
  t: string;
  requests: number;
  errors_5xx: number;
  /** 5xx share of the bucket's requests (0–1); null without requests. */
  error_rate: number | null;
  /** 95th percentile of request duration in ms, from the summed histogram buckets; null without requests. */
  p95_ms: number | null;
  login_failures: number;
}

export interface Timeseries {
  window: TimeseriesWindow;
  bucket_seconds: number;
  from: string;
  to: string;
  buckets: TimeseriesPoint[];
}

const BOUNDS = [...LATENCY_BOUNDS_MS, Number.POSITIVE_INFINITY];

/**
 * The p95 of a bucket, interpolated within the histogram bucket that holds it (as Prometheus'
 * histogram_quantile). The counts are cumulative per bound and were summed over minutes and
 * instances, so this is the p95 of every request in the bucket. Above 5 s it answers 5000
 * (the last finite bound): the histogram knows no more.
 */
export function p95Ms(b: Pick<SloBucket, LatencyColumn | 'requests'>): number | null {
  if (b.requests <= 0) return null;
  const counts = [...LATENCY_BOUNDS_MS.map((ms) => Math.min(b[`le_${ms}ms`], b.requests)), b.requests];
  const q = quantile(0.95, BOUNDS, counts);
  return q === undefined ? null : Math.round(q * 100) / 100;
}

/**
 * The console's Overview series from `slo_minutes` (every instance summed): the window's buckets
 * ending with the one `now` is in (still filling), each present, zero when nothing was recorded.
 */
export async function timeseries(slo: Pick<SloService, 'series'>, window: TimeseriesWindow, now: number): Promise<Timeseries> {
  const { bucketMs, buckets } = TIMESERIES_WINDOWS[window];
  const last = now - (now % bucketMs);
  const from = last - (buckets - 1) * bucketMs;
  const rows = new Map((await slo.series(from, last + bucketMs, bucketMs)).map((r) => [r.t, r]));
  const points: TimeseriesPoint[] = [];
  for (let t = from; t <= last; t += bucketMs) {
    const r = rows.get(t);
    const requests = r?.requests ?? 0;
    const errors = r?.errors_5xx ?? 0;
    points.push({
      t: new Date(t).toISOString(),
      requests,
      errors_5xx: errors,
      error_rate: requests > 0 ? Math.round((errors / requests) * 1e6) / 1e6 : null,
      p95_ms: r ? p95Ms(r) : null,
      login_failures: r?.login_failure ?? 0,
    });
  }
  return { window, bucket_seconds: bucketMs / 1000, from: new Date(from).toISOString(), to: new Date(last + bucketMs).toISOString(), buckets: points };
}
