/** Where a batch goes: a pino destination (stdout) or transport stream (thread-stream). */
export interface BatchTarget {
  write(chunk: string): boolean;
  flushSync(): void;
}

/**
 * Log lines written together every `intervalMs` (or as soon as `maxBytes` are pending) instead
 * of one by one: one write system call to stdout, and one hand-over to a transport's worker
 * thread, per batch. Each hand-over wakes the worker, which costs it about 10 µs of CPU; under
 * load that was a wake per request (BENCHMARKS.md). A line is written at most `intervalMs` after
 * it was logged.
 *
 * Nothing pending is lost when the process exits: `process.exit()` hands it over before pino's
 * own exit handler drains the transport, and a pending hand-over keeps the event loop alive until
 * it is done. `flushSync()` hands over and waits for the worker to have read everything.
 */
export class BatchedStream {
  #pending: string[] = [];
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #onExit = () => this.flush();

  constructor(
    private readonly target: BatchTarget,
    private readonly intervalMs = 25,
    private readonly maxBytes = 256 * 1024,
  ) {
    // Before pino's handler, registered when the transport was made: it ends the worker.
    process.prependListener('exit', this.#onExit);
  }

  write(line: string): boolean {
    if (this.#closed) return this.target.write(line);
    this.#pending.push(line);
    this.#bytes += line.length;
    if (this.#bytes >= this.maxBytes) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.intervalMs);
    return true;
  }

  /** Hands what is pending to the target now (pino's `logger.flush(cb)` calls this with `cb`). */
  flush(done?: (error?: Error) => void): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length > 0) {
      const chunk = this.#pending.length === 1 ? this.#pending[0]! : this.#pending.join('');
      this.#pending = [];
      this.#bytes = 0;
      this.target.write(chunk);
    }
    done?.();
  }

  flushSync(): void {
    this.flush();
    this.target.flushSync();
  }

  /** Writes what is pending; later lines go to the target one by one (it is ending). */
  close(): void {
    this.flush();
    this.#closed = true;
    process.off('exit', this.#onExit);
  }
}
