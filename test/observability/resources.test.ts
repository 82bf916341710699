import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createResourceMonitor } from '../../src/observability/resources.js';
import { manualClock } from '../../src/shared/clock.js';

describe('resource monitor', () => {
  it('samples CPU, memory, event-loop lag and free disk; latest() is the last sample', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const monitor = createResourceMonitor({ dataDir: tmpdir(), clock, intervalMs: 60_000 });
    monitor.start();
    try {
      await monitor.sample();
      // Busy for ~60 ms: CPU shows it, and the event loop was blocked for as long.
      setTimeout(() => {
        const end = performance.now() + 60;
        while (performance.now() < end);
      }, 20);
      await new Promise((r) => setTimeout(r, 150));
      clock.advance(15_000);
      const sample = await monitor.sample();
      expect(monitor.latest()).toBe(sample);
      expect(sample.sampled_at).toBe(Date.UTC(2026, 0, 1) + 15_000);
      expect(sample.cpu_percent).toBeGreaterThan(10);
      expect(sample.event_loop_lag_p99_ms).toBeGreaterThan(40);
      expect(sample.rss_bytes).toBeGreaterThan(sample.heap_used_bytes);
      expect(sample.disk_free_percent).toBeGreaterThan(0);
      expect(sample.disk_free_percent).toBeLessThanOrEqual(100);
      // The lag histogram starts over each interval.
      await new Promise((r) => setTimeout(r, 100));
      expect((await monitor.sample()).event_loop_lag_p99_ms).toBeLessThan(40);
    } finally {
      monitor.stop();
    }
  });

  it('a data directory that cannot be read gives disk_free_percent null', async () => {
    const monitor = createResourceMonitor({ dataDir: '/nonexistent/vigil-data', clock: manualClock() });
    expect((await monitor.sample()).disk_free_percent).toBeNull();
  });
});
