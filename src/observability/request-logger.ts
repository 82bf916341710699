import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, LevelWithSilent, LevelWithSilentOrString, LogFn, Logger } from 'pino';

/**
 * `request.log` as a pino child made on first use. Fastify makes a child logger for every request
 * (binding its request id); making one serialises and redacts the bindings, which cost more than
 * the rest of a simple request's logging while most requests never log through it (the access
 * line is written by the app's logger with the request id as a field).
 */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  const parent = logger as Logger;
  // A per-route level changes what is enabled: then the child is needed to answer that.
  if (options.level !== undefined) return parent.child(bindings, options);
  return new LazyChildLogger(parent, bindings) as unknown as FastifyBaseLogger;
}

class LazyChildLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly ownBindings: Bindings,
  ) {}

  private real(): Logger {
    return (this.#child ??= this.parent.child(this.ownBindings));
  }

  private log(level: Level, args: Parameters<LogFn>): void {
    const target = this.#child ?? this.parent;
    if (target.isLevelEnabled(level)) (this.real()[level] as LogFn)(...args);
  }

  get level(): LevelWithSilentOrString {
    return (this.#child ?? this.parent).level;
  }

  set level(level: LevelWithSilentOrString) {
    this.real().level = level;
  }

  isLevelEnabled(level: LevelWithSilent): boolean {
    return (this.#child ?? this.parent).isLevelEnabled(level);
  }

  bindings(): Bindings {
    return this.real().bindings();
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.real().child(bindings, options);
  }

  fatal(...args: Parameters<LogFn>): void {
    this.log('fatal', args);
  }
  error(...args: Parameters<LogFn>): void {
    this.log('error', args);
  }
  warn(...args: Parameters<LogFn>): void {
    this.log('warn', args);
  }
  info(...args: Parameters<LogFn>): void {
    this.log('info', args);
  }
  debug(...args: Parameters<LogFn>): void {
    this.log('debug', args);
  }
  trace(...args: Parameters<LogFn>): void {
    this.log('trace', args);
  }
  silent(): void {}
}
