/**
 * Per-interval samples of one quantity in a fixed ring: `push` once per evaluation interval,
 * `sum(n)` adds the newest n. Windows are read from memory, never from the database.
 */
export class Ring {
  private readonly values: Float64Array;
  private next = 0;
  /** Samples pushed so far (capped at the capacity). */
  filled = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }

  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
  }

  /** Sum of the newest `n` samples (fewer when fewer were pushed). */
  sum(n: number): number {
    const count = Math.min(n, this.filled);
    let total = 0;
    let i = this.next;
    for (let k = 0; k < count; k++) {
      i = i === 0 ? this.capacity - 1 : i - 1;
      total += this.values[i]!;
    }
    return total;
  }
}

/**
 * Counts per key (an IP, an account) over a sliding window of intervals, updated incrementally:
 * each interval's map is added to the totals and subtracted again when it leaves the window.
 */
export class KeyedWindow {
  private readonly slots: Map<string, number>[] = [];
  readonly totals = new Map<string, number>();

  constructor(readonly slotCount: number) {}

  push(slot: Map<string, number>): void {
    this.slots.push(slot);
    for (const [k, n] of slot) this.totals.set(k, (this.totals.get(k) ?? 0) + n);
    while (this.slots.length > this.slotCount) {
      for (const [k, n] of this.slots.shift()!) {
        const left = (this.totals.get(k) ?? 0) - n;
        if (left <= 0) this.totals.delete(k);
        else this.totals.set(k, left);
      }
    }
  }
}

/** Intervals that cover `windowMs` at one sample per `intervalMs` (at least one). */
export const slotsFor = (windowMs: number, intervalMs: number): number => Math.max(1, Math.ceil(windowMs / intervalMs));
