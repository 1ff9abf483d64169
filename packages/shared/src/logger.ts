import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear: credentials in headers, the keys of our own
 * config, webhook secrets, and the query string of presigned URLs.
 */
export const REDACT_PATHS = [
  'apiKey',
  'api_key',
  'secret',
  'webhookSecret',
  'authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-goog-api-key"]',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'headers["x-goog-api-key"]',
  '*.apiKey',
  '*.api_key',
  '*.adminKey',
  '*.secret',
  '*.secretAccessKey',
  '*.webhookSecret',
  'config.imagen.apiKey',
  'config.auth',
  'config.s3.credentials',
  'config.webhooks.secret',
  '*.adminApiKey',
  '*.imagenApiKey',
  '*.signingSecret',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-goog-api-key"]',
  '*.headers["x-admin-key"]',
];

/**
 * Query parameters that make a URL a credential: the signature parts of an S3 presigned URL
 * and the provider's `key=`. Scrubbed from every line pino writes, wherever the URL sits
 * (a field, an error message, a nested result), which `redact` paths alone cannot cover.
 */
const SECRET_QUERY =
  /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|key)=)[^&"\\\s]*/gi;

/** Removes the secret parts of any URL in `text`. */
export function scrubSecretQuery(text: string): string {
  return text.replace(SECRET_QUERY, '$1[redacted]');
}

/** The top-level fields some redact path names (`apiKey`, `req`, `config`, …). */
const REDACTED_FIELDS = new Set(
  REDACT_PATHS.map((path) => /^[^.[]+/.exec(path)![0]).filter((field) => field !== '*'),
);

/** An id or a small scalar: a value no redact path can reach into. */
export type IdValue = string | number | boolean | null | undefined;

/**
 * `logger.child(ids)` for bindings that are ids and scalars (a job's, an event's): the same
 * lines, written without running pino's redaction over each value. Its wildcard paths
 * (`*.apiKey`, …) reach into objects only, so over a string they censor nothing, yet pino runs
 * them for every binding of every child: about 6 µs and 20 KB of garbage for three ids, several
 * children a job. A field that a redact path names itself is bound through pino as ever.
 */
export function childWithIds(logger: Logger, ids: Record<string, IdValue>): Logger {
  let bound = '';
  for (const field in ids) {
    const value = ids[field];
    if (value === undefined) continue;
    if (REDACTED_FIELDS.has(field)) return logger.child(ids);
    bound += `,${JSON.stringify(field)}:${JSON.stringify(value)}`;
  }
  const child = logger.child({});
  // What pino's own child() appends for each binding (`asChindings`), redaction aside.
  (child as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] += bound;
  return child;
}

/** An async logger's block: about a dozen request lines. */
const ASYNC_BLOCK_BYTES = 4096;
/** How long a line may wait for its block to fill. */
const ASYNC_FLUSH_MS = 100;

export interface LoggerSettings {
  level: string;
  name: string;
  /** Human-readable lines; meant for a terminal, never for production. @defaultValue false */
  pretty?: boolean;
  /** Where lines go instead of stdout (tests). */
  destination?: DestinationStream;
  /** Fields added to every line as it is written (the active trace's ids). */
  mixin?: () => object;
  /**
   * Write stdout asynchronously and in blocks: lines gather until `ASYNC_BLOCK_BYTES` or
   * `ASYNC_FLUSH_MS`, whichever comes first, and go out in one write, instead of one write
   * (a syscall, and a wake-up of whatever reads the pipe) per line. Under load that was most
   * of what a request line cost. Pino flushes what is pending when the process exits; only a
   * SIGKILL can lose the last `ASYNC_FLUSH_MS` of lines.
   * @defaultValue false
   */
  async?: boolean;
}

export function createLogger({
  level,
  name,
  pretty = false,
  destination,
  mixin,
  async = false,
}: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name,
    level,
    ...(mixin ? { mixin } : {}),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
    hooks: { streamWrite: scrubSecretQuery },
  };
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  if (destination) return pino(options, destination);
  if (!async) return pino(options);
  return pino(
    options,
    pino.destination({
      dest: 1,
      sync: false,
      minLength: ASYNC_BLOCK_BYTES,
      periodicFlush: ASYNC_FLUSH_MS,
    }),
  );
}
