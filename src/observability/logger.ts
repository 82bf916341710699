import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config/index.js';

export type { Logger } from 'pino';

/**
 * Paths pino replaces with [REDACTED] wherever they appear in a log object. Handlers never
 * log bodies, but anything that does must not leak a secret.
 */
export const REDACT_PATHS = [
  'password', 'new_password', 'current_password', 'token', 'access_token', 'refresh_token', 'api_key', 'apiKey', 'secret', 'authorization', 'cookie',
  '*.password', '*.new_password', '*.current_password', '*.token', '*.access_token', '*.refresh_token', '*.api_key', '*.apiKey', '*.secret',
  '*.authorization', '*.cookie', '*["x-api-key"]', '*["set-cookie"]',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]',
];

/** The root logger: JSON lines with `time`, `level` (as a word), `logger`, `msg`. */
export function createLogger(config: Pick<Config, 'log'>, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: lowestLevel(config.log.level, Object.values(config.log.levels)),
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
  };
  if (destination) return pino(options, destination);
  if (config.log.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(options);
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
