import type { Logger } from './logger.js';
import type { ErrorTracker } from './sentry.js';

/**
 * What the process does with an unhandled promise rejection or an uncaught exception: log it
 * (`fatal`, with the error's type and stack), report it to error tracking and wait for that to be
 * sent (at most `flushTimeoutMs`), then exit 1, as Node.js itself would have, minus the silence.
 * A second one while the first is handled only exits.
 */
export function createFatalErrorHandler(deps: {
  logger: Pick<Logger, 'fatal'>;
  errorTracking: Pick<ErrorTracker, 'capture' | 'close'>;
  exit: (code: number) => void;
  flushTimeoutMs?: number;
}): (error: unknown, source: 'unhandledRejection' | 'uncaughtException') => Promise<void> {
  let handling = false;
  return async (error, source) => {
    if (handling) return;
    handling = true;
    try {
      deps.logger.fatal({ err: error, source }, source === 'unhandledRejection' ? 'unhandled promise rejection' : 'uncaught exception');
      deps.errorTracking.capture(error, { source });
      await deps.errorTracking.close(deps.flushTimeoutMs ?? 2000);
    } finally {
      deps.exit(1);
    }
  };
}
