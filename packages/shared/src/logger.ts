import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear: credentials in headers, the keys of our own
 * config, webhook secrets, and the query string of presigned URLs.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
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
];

export interface LoggerSettings {
  level: string;
  name: string;
  /** Human-readable lines; meant for a terminal, never for production. @defaultValue false */
  pretty?: boolean;
}

export function createLogger({ level, name, pretty = false }: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(options);
}
