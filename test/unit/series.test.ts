import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { counterSeries, histogramSeries } from '../../src/observability/series.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function pair() {
  const registries = [new Registry(), new Registry()] as const;
  const make = (registry: Registry) => ({
    counter: new Counter({ name: 'c_total', help: 'c', labelNames: ['method', 'route', 'status'] as const, registers: [registry] }),
    histogram: new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['method', 'route'] as const, buckets: BUCKETS, registers: [registry] }),
  });
  return { registries, stock: make(registries[0]), fast: make(registries[1]) };
}

/** Values on every bucket bound, between them, below the first and above the last. */
function values(): number[] {
  const out = [0, 1e-9, ...BUCKETS, ...BUCKETS.map((b) => b * 0.999), ...BUCKETS.map((b) => b * 1.001), 7, 1e6];
  let seed = 7;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 48271) % 2147483647;
    out.push((seed / 2147483647) ** 3 * 8);
  }
  return out;
}

describe('prom-client series handles', () => {
  it('use the fast path with the installed prom-client (a change of its internals fails here)', () => {
    const { fast } = pair();
    expect(counterSeries(fast.counter, { method: 'GET', route: '/a', status: '200' }).fast).toBe(true);
    expect(histogramSeries(fast.histogram, { method: 'GET', route: '/a' }).fast).toBe(true);
  });

  it('give the same exposition as prom-client’s own children, for every bucket edge', async () => {
    const { registries, stock, fast } = pair();
    const labelSets = [
      { method: 'GET', route: '/api/v1/auth/me' },
      { method: 'POST', route: '/api/v1/auth/login' },
    ];
    for (const labels of labelSets) {
      const h = histogramSeries(fast.histogram, labels);
      stock.histogram.zero(labels);
      for (const status of ['200', '401']) {
        const c = counterSeries(fast.counter, { ...labels, status });
        stock.counter.inc({ ...labels, status }, 0);
        for (let i = 0; i < 3; i++) {
          c.inc();
          stock.counter.labels({ ...labels, status }).inc();
        }
      }
      for (const v of values()) {
        h.observe(v);
        stock.histogram.labels(labels).observe(v);
      }
    }
    expect(await registries[1].metrics()).toBe(await registries[0].metrics());
  });

  it('create a series at zero, and again after reset()', async () => {
    const { registries, fast } = pair();
    const labels = { method: 'GET', route: '/a' };
    const h = histogramSeries(fast.histogram, labels);
    const c = counterSeries(fast.counter, { ...labels, status: '200' });
    expect(await registries[1].metrics()).toContain('c_total{method="GET",route="/a",status="200"} 0');
    expect(await registries[1].metrics()).toContain('h_seconds_count{method="GET",route="/a"} 0');
    fast.counter.reset();
    fast.histogram.reset();
    c.inc();
    h.observe(0.02);
    h.observe(0.02);
    const text = await registries[1].metrics();
    expect(text).toContain('c_total{method="GET",route="/a",status="200"} 1');
    expect(text).toContain('h_seconds_count{method="GET",route="/a"} 2');
    expect(text).toContain('h_seconds_bucket{le="0.025",method="GET",route="/a"} 2');
    expect(text).toContain('h_seconds_bucket{le="0.01",method="GET",route="/a"} 0');
  });

  it('refuses a value that is not a finite number, as prom-client does', () => {
    const { fast } = pair();
    const h = histogramSeries(fast.histogram, { method: 'GET', route: '/a' });
    expect(() => h.observe(Number.NaN)).toThrow(TypeError);
    expect(() => h.observe(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });
});
