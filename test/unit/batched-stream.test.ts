import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchedStream, type BatchTarget } from '../../src/observability/batched-stream.js';

function target() {
  const chunks: string[] = [];
  let syncs = 0;
  const t: BatchTarget = {
    write: (chunk) => chunks.push(chunk) > 0,
    flushSync: () => void syncs++,
  };
  return { t, chunks, syncs: () => syncs };
}

const streams: BatchedStream[] = [];
const make = (t: BatchTarget, intervalMs = 25, maxBytes = 1000) => {
  const s = new BatchedStream(t, intervalMs, maxBytes);
  streams.push(s);
  return s;
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
  vi.useRealTimers();
});

describe('BatchedStream', () => {
  it('hands the lines of one interval to the target as one chunk, in order, when the interval ends', () => {
    const { t, chunks } = target();
    const s = make(t);
    s.write('a\n');
    s.write('b\n');
    vi.advanceTimersByTime(24);
    expect(chunks).toEqual([]);
    s.write('c\n');
    vi.advanceTimersByTime(1);
    expect(chunks).toEqual(['a\nb\nc\n']);
    s.write('d\n');
    vi.advanceTimersByTime(25);
    expect(chunks).toEqual(['a\nb\nc\n', 'd\n']);
    vi.advanceTimersByTime(100);
    expect(chunks).toHaveLength(2);
  });

  it('hands over at once when maxBytes are pending', () => {
    const { t, chunks } = target();
    const s = make(t, 25, 10);
    s.write('12345\n');
    expect(chunks).toEqual([]);
    s.write('67890\n');
    expect(chunks).toEqual(['12345\n67890\n']);
    vi.advanceTimersByTime(25);
    expect(chunks).toHaveLength(1);
  });

  it('flushSync hands over what is pending and waits for the target', () => {
    const { t, chunks, syncs } = target();
    const s = make(t);
    s.write('a\n');
    s.flushSync();
    expect(chunks).toEqual(['a\n']);
    expect(syncs()).toBe(1);
  });

  it('hands over what is pending on process exit, and not after close', () => {
    const { t, chunks } = target();
    const s = make(t);
    s.write('a\n');
    process.emit('exit', 0);
    expect(chunks).toEqual(['a\n']);
    s.close();
    s.write('b\n');
    expect(chunks).toEqual(['a\n', 'b\n']);
    process.emit('exit', 0);
    expect(chunks).toHaveLength(2);
  });
});
