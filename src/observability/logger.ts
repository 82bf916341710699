import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config/index.js';
import { BatchedStream, type BatchTarget } from './batched-stream.js';
import { redactSecrets } from './log-redaction.js';

export type { Logger } from 'pino';

/**
 * pino's `isoTime` field, with the date formatted once per millisecond: under load several lines
 * share a millisecond, and formatting it was 3–4 µs of the access line's ~12 µs per request in the
 * server's profile (BENCHMARKS.md).
 */
export function isoTimeEachMillisecond(): () => string {
  let lastMs = Number.NaN;
  let last = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      last = `,"time":"${new Date(now).toISOString()}"`;
    }
    return last;
  };
}

function loggerOptions(config: Pick<Config, 'log'>): LoggerOptions {
  return {
    level: lowestLevel(config.log.level, Object.values(config.log.levels)),
    base: { pid: process.pid },
    timestamp: isoTimeEachMillisecond(),
    // Secrets are replaced once, before the line is written anywhere: stdout and LOG_FILE get the same line.
    formatters: { level: (label) => ({ level: label }), log: redactSecrets },
  };
}

const PRETTY = { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } };

/** The root logger: JSON lines with `time`, `level` (as a word), `logger`, `msg`. */
export function createLogger(config: Pick<Config, 'log'>, destination?: DestinationStream): Logger {
  const options = loggerOptions(config);
  if (destination) return pino(options, destination);
  if (config.log.pretty) return pino({ ...options, transport: PRETTY });
  return pino(options);
}

/** The server's logger and what it writes to; `close()` writes what is pending and ends the file's worker thread. */
export interface LogOutput {
  logger: Logger;
  close(): Promise<void>;
}

/** Every batch to each output in turn (stdout, then the file's worker). */
function tee(outputs: DestinationStream[]): BatchTarget {
  return {
    write(chunk) {
      for (const output of outputs) output.write(chunk);
      return true;
    },
    flushSync() {
      for (const output of outputs) (output as { flushSync?: () => void }).flushSync?.();
    },
  };
}

/**
 * The server's log: stdout (pretty with LOG_PRETTY) and, with LOG_FILE, the same lines in a file
 * rotated by size (pino-roll, in pino's worker thread, so file writes never block a request):
 * `vigil.log` is written as `vigil.1.log`, `vigil.2.log`, …; the highest number is the current
 * file, and LOG_BACKUP_COUNT older ones are kept (also those of earlier runs).
 *
 * Lines are written in batches (BatchedStream), at most 25 ms after they are logged: one write to
 * stdout and one hand-over to the file's worker per batch rather than per line. Pending lines are
 * written on `close()` and on `process.exit()`.
 */
export function createLogOutput(config: Pick<Config, 'log'>, stdout?: DestinationStream): LogOutput {
  const file = config.log.file;
  const options = loggerOptions(config);
  const console = stdout ?? (config.log.pretty ? pino.transport(PRETTY) : pino.destination({ dest: 1, sync: true }));
  const rolling =
    file &&
    pino.transport({
      target: 'pino-roll',
      options: {
        file: file.path,
        size: `${file.maxSizeBytes}b`,
        mkdir: true,
        sync: true,
        // With removeOtherLogFiles pino-roll's count includes the current file.
        limit: { count: file.backupCount + 1, removeOtherLogFiles: true },
      },
    });
  const batched = new BatchedStream(tee(rolling ? [console, rolling] : [console]));
  const logger = pino(options, batched);
  let closing: Promise<void> | undefined;
  return {
    logger,
    close() {
      closing ??= new Promise<void>((resolve) => {
        batched.close();
        if (!rolling) return resolve();
        // Bounded: a worker that does not finish must not hold the shutdown.
        const done = setTimeout(resolve, 5000);
        rolling.once('close', () => {
          clearTimeout(done);
          resolve();
        });
        rolling.end();
      });
      return closing;
    },
  };
}

const ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
function lowestLevel(level: string, others: string[]): string {
  return [level, ...others].reduce((a, b) => (ORDER.indexOf(b) < ORDER.indexOf(a) ? b : a));
}

/** A component's logger (`http`, `auth`, `security`, `db`, …) at its own level from LOG_LEVELS. */
export function componentLogger(root: Logger, config: Pick<Config, 'log'>, component: string): Logger {
  return root.child({ logger: component }, { level: config.log.levels[component] ?? config.log.level });
}

/** `a***@example.com`, unless LOG_PII is on. */
export function maskEmail(email: string, pii: boolean): string {
  if (pii) return email;
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
