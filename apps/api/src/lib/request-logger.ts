import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type LogArgs = Parameters<FastifyBaseLogger['info']>;

/**
 * A request's logger (`request.log`) that becomes pino's child logger only when a line is
 * written through it. Most requests write none (their one line is the `request completed` line,
 * written apart), and making a child, then binding the tenant onto it, ran pino's redaction over
 * the bindings twice per request for nothing. Lines written through it are the child's own:
 * the same bindings (`requestId`, then the tenant), level and redaction.
 */
export class RequestLogger implements FastifyBaseLogger {
  #parent: FastifyBaseLogger;
  #bindings: Bindings;
  #child: FastifyBaseLogger | null = null;

  constructor(parent: FastifyBaseLogger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  /** Pino's child, made on first use with every binding given so far. */
  #logger(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings);
    return this.#child;
  }

  /** Pino's `setBindings`: adds to the line's fields (the tenant, once authenticated). */
  setBindings(bindings: Bindings): void {
    if (this.#child)
      (this.#child as unknown as { setBindings(b: Bindings): void }).setBindings(bindings);
    else this.#bindings = { ...this.#bindings, ...bindings };
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options);
  }

  // Methods, not arrow fields: nothing is allocated per request but the object itself.
  fatal(...args: LogArgs): void {
    this.#write('fatal', args);
  }
  error(...args: LogArgs): void {
    this.#write('error', args);
  }
  warn(...args: LogArgs): void {
    this.#write('warn', args);
  }
  info(...args: LogArgs): void {
    this.#write('info', args);
  }
  debug(...args: LogArgs): void {
    this.#write('debug', args);
  }
  trace(...args: LogArgs): void {
    this.#write('trace', args);
  }
  silent(): void {}

  #write(level: Level, args: LogArgs): void {
    (this.#logger()[level] as (...a: LogArgs) => void)(...args);
  }
}

/**
 * Fastify's `childLoggerFactory`: a `RequestLogger`, or pino's own child when the route sets
 * logger options (a level of its own).
 */
export function requestLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return Object.keys(options).length > 0
    ? logger.child(bindings, options)
    : new RequestLogger(logger, bindings);
}
