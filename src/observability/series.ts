import type { Counter, Histogram, LabelValues } from 'prom-client';

/**
 * Handles on single prom-client series, for the per-request hot path (HTTP hooks, the query
 * monitor). prom-client's own `labels(…)` children check the label names, build the series key
 * from the label values and, for a histogram, turn the bucket bound into a property name on every
 * call: about 5 µs per observation in a loaded server's profile (BENCHMARKS.md). These find the
 * series' stored value once and update it in place, so the exposition is prom-client's own.
 *
 * They rely on how prom-client 15 stores series: `hashMap` of `{ labels, value }` (counters) and
 * `{ labels, bucketValues, sum, count }` keyed by bound (histograms). When a metric does not look
 * like that, the handle is prom-client's child (`fast` is false), and a unit test fails so the
 * loss is seen (test/unit/series.test.ts). A series removed by `reset()` is recreated through
 * prom-client on its next use.
 */
export interface CounterSeries {
  inc(): void;
  readonly fast: boolean;
}

export interface HistogramSeries {
  observe(value: number): void;
  readonly fast: boolean;
}

interface StoredCounter {
  value: number;
  labels: Record<string, unknown>;
}

interface StoredHistogram {
  labels: Record<string, unknown>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

interface Stored<V> {
  hashMap?: Record<string, V>;
  upperBounds?: readonly number[];
}

/** The key prom-client stores the series of exactly these labels under, if it can be found. */
function keyOf(hashMap: Record<string, { labels: Record<string, unknown> }> | undefined, labels: Record<string, string>): string | undefined {
  if (!hashMap) return undefined;
  const names = Object.keys(labels);
  for (const [key, series] of Object.entries(hashMap)) {
    const stored = series?.labels;
    if (stored && Object.keys(stored).length === names.length && names.every((n) => stored[n] === labels[n])) return key;
  }
  return undefined;
}

export function counterSeries<T extends string>(counter: Counter<T>, labels: LabelValues<T>): CounterSeries {
  const own = labels as Record<string, string>;
  counter.inc(labels, 0); // the series exists (at 0) from here on
  const stored = counter as unknown as Stored<StoredCounter>;
  const key = keyOf(stored.hashMap, own);
  if (key === undefined || typeof stored.hashMap?.[key]?.value !== 'number') {
    const child = counter.labels(labels);
    return { inc: () => child.inc(), fast: false };
  }
  return {
    fast: true,
    inc() {
      const series = stored.hashMap?.[key];
      if (series) series.value += 1;
      else counter.inc(labels);
    },
  };
}

export function histogramSeries<T extends string>(histogram: Histogram<T>, labels: LabelValues<T>): HistogramSeries {
  const own = labels as Record<string, string>;
  histogram.zero(labels);
  const stored = histogram as unknown as Stored<StoredHistogram>;
  const key = keyOf(stored.hashMap, own);
  const bounds = stored.upperBounds;
  const initial = key === undefined ? undefined : stored.hashMap?.[key];
  const names = bounds?.map(String);
  const usable =
    initial !== undefined && bounds !== undefined && names !== undefined && typeof initial.sum === 'number' && typeof initial.count === 'number' && names.every((n) => typeof initial.bucketValues?.[n] === 'number');
  if (!usable) {
    const child = histogram.labels(labels);
    return { observe: (value) => child.observe(value), fast: false };
  }
  const n = bounds.length;
  return {
    fast: true,
    observe(value) {
      const series = stored.hashMap?.[key!];
      // prom-client throws on a value that is not a finite number; so does this, through it.
      if (!series || !Number.isFinite(value)) return histogram.observe(labels, value);
      series.sum += value;
      series.count += 1;
      for (let i = 0; i < n; i++) {
        if (value <= bounds[i]!) {
          const name = names[i]!;
          series.bucketValues[name] = (series.bucketValues[name] ?? 0) + 1;
          return;
        }
      }
    },
  };
}
