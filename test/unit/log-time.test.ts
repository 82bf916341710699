import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoTimeEachMillisecond } from '../../src/observability/logger.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('isoTimeEachMillisecond', () => {
  it("gives pino's isoTime field at every instant: within a millisecond, across one, and when the clock moves back", () => {
    vi.useFakeTimers();
    const time = isoTimeEachMillisecond();
    const at = Date.UTC(2026, 10, 23, 18, 0, 0, 0);
    for (const t of [at, at, at + 1, at + 999, at + 1000, at - 1, 0, at]) {
      vi.setSystemTime(t);
      expect(time()).toBe(pino.stdTimeFunctions.isoTime());
    }
  });
});
