import type { Config } from '../config/index.js';
import type { Logger } from './logger.js';
import { scrubDeep } from './scrub.js';

/** Where an error happened, as far as it is safe to say. */
export interface ErrorContext {
  request_id?: string;
  method?: string;
  /** The route template (never the raw URL, which may carry a token). */
  route?: string;
  /** What failed outside a request: `unhandledRejection`, `uncaughtException`. */
  source?: string;
}

/** Reports unexpected errors to Sentry, or does nothing when SENTRY_DSN is unset (or DEBUG is on). */
export interface ErrorTracker {
  readonly enabled: boolean;
  capture(error: unknown, context?: ErrorContext): void;
  /** Sends what is queued (waiting at most `timeoutMs`) and stops; later captures are dropped. Idempotent. */
  close(timeoutMs?: number): Promise<void>;
}

export const disabledErrorTracker: ErrorTracker = {
  enabled: false,
  capture: () => undefined,
  close: async () => undefined,
};

/**
 * A Sentry client of our own (not `Sentry.init`): no global state, no OpenTelemetry set-up, no
 * auto-instrumentation of HTTP or the database, so requests cost nothing extra; several can exist
 * in one process (tests) and each is closed on its own. Only what `capture` is given is sent,
 * with request data excluded and secrets scrubbed (`beforeSend`). The SDK is loaded only when
 * enabled.
 */
export async function createErrorTracker(config: Pick<Config, 'sentry' | 'debug' | 'environment' | 'version'>, logger: Logger): Promise<ErrorTracker> {
  const dsn = config.sentry.dsn;
  if (dsn === undefined || config.debug) return disabledErrorTracker;
  const Sentry = await import('@sentry/node');

  const client = new Sentry.NodeClient({
    dsn,
    environment: config.environment,
    release: `vigil@${config.version}`,
    tracesSampleRate: config.sentry.tracesSampleRate,
    sendDefaultPii: false,
    // Every category of automatic collection off: nothing about the request, the user or local
    // variables is attached; only the error, its stack and the tags Vigil sets.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      databaseQueryData: false,
      stackFrameVariables: false,
      frameContextLines: 0,
    },
    includeServerName: false,
    transport: Sentry.makeNodeTransport,
    stackParser: Sentry.defaultStackParser,
    integrations: [
      Sentry.requestDataIntegration({ include: { cookies: false, data: false, headers: false, ip: false, query_string: false, url: false } }),
      Sentry.linkedErrorsIntegration(),
      Sentry.dedupeIntegration(),
    ],
    beforeSend: (event) => {
      delete event.request;
      delete event.user;
      return scrubDeep(event);
    },
    beforeSendTransaction: (event) => {
      delete event.request;
      delete event.user;
      return scrubDeep(event);
    },
  });
  const scope = new Sentry.Scope();
  scope.setClient(client);
  client.init();
  let closed = false;
  logger.info({ environment: config.environment, release: `vigil@${config.version}` }, 'error tracking on (Sentry)');

  return {
    enabled: true,
    capture(error, context = {}) {
      if (closed) return;
      try {
        const tags = Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined)) as Record<string, string>;
        scope.captureException(error, { captureContext: { tags } });
      } catch (e) {
        logger.warn({ err: e }, 'could not report an error to Sentry');
      }
    },
    async close(timeoutMs = 2000) {
      if (closed) return;
      closed = true;
      try {
        await client.close(timeoutMs);
      } catch {
        // Nothing more can be done about events that could not be sent.
      }
    },
  };
}
