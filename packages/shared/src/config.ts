import { type AmountTable, parseAmounts, parseModelShutdowns } from '@imagen-queue/contract';
import Type from 'typebox';
import Value from 'typebox/value';
import { parseTracing, type TracingConfig, TracingEnv } from './tracing/config.ts';

/**
 * Every environment variable the system reads, flat, as the operator writes them.
 * `loadConfig` validates all of them at once and returns the nested `Config`.
 */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.String()),
  /** Test-only: where a fault test makes the process SIGKILL itself (see fault-point.ts). */
  IMAGEN_QUEUE_FAULT_POINT: Type.Optional(Type.String({ pattern: '^[a-z-]+(:[0-9]+)?$' })),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
  }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  API_RATE_LIMIT_PER_MIN: Type.Integer({ minimum: 1, default: 600 }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  REDIS_CLUSTER_NODES: Type.Optional(Type.String()),
  QUEUE_PREFIX: Type.String({ default: 'iq', pattern: '^[A-Za-z0-9:_-]{1,64}$' }),
  S3_ENDPOINT: Type.Optional(Type.String()),
  S3_REGION: Type.String({ default: 'us-east-1' }),
  S3_BUCKET: Type.String({
    default: 'imagen-queue',
    pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
  }),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String()),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String()),
  S3_FORCE_PATH_STYLE: Type.Boolean({ default: false }),
  S3_PRESIGN_TTL_S: Type.Integer({ minimum: 1, maximum: 604800, default: 3600 }),
  /** Unset: images are kept. Set: an S3 lifecycle rule expires them after this many days. */
  IMAGE_RETENTION_DAYS: Type.Optional(Type.Integer({ minimum: 1, maximum: 36500 })),
  IMAGEN_PROVIDER: Type.Enum(['aimlapi', 'google'], { default: 'aimlapi' }),
  TENANT_BUDGETS_USD_PER_DAY: Type.Optional(Type.String()),
  IMAGEN_PRICES_USD: Type.Optional(Type.String()),
  IMAGEN_BASE_URL: Type.String({ default: 'https://api.aimlapi.com' }),
  IMAGEN_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  IMAGEN_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 60000 }),
  MODEL_SHUTDOWNS: Type.String({ default: '' }),
  API_KEYS: Type.String({ default: '' }),
  ADMIN_API_KEY: Type.Optional(Type.String({ minLength: 16 })),
  // Unset: the worker sizes its concurrency from the pace and the call latency (adaptive).
  WORKER_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  WORKER_MAX_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 5000, default: 400 }),
  WORKER_MEMORY_BUDGET_MB: Type.Number({ exclusiveMinimum: 0, default: 512 }),
  WORKER_SPOOL_MAX_MB: Type.Number({ exclusiveMinimum: 0, default: 256 }),
  WORKER_METRICS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  WORKER_SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, default: 30000 }),
  JOB_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  RETRY_BASE_MS: Type.Integer({ minimum: 1, default: 1000 }),
  RETRY_MAX_MS: Type.Integer({ minimum: 1, default: 60000 }),
  PROVIDER_RATE_LIMIT_PER_MIN: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  PROVIDER_INITIAL_RATE_PER_MIN: Type.Number({ exclusiveMinimum: 0, default: 300 }),
  SPOOL_TTL_S: Type.Integer({ minimum: 60, default: 86400 }),
  JOB_RETENTION_DAYS: Type.Number({ exclusiveMinimum: 0, default: 7 }),
  IDEMPOTENCY_TTL_S: Type.Integer({ minimum: 60, default: 86400 }),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: Type.Boolean({ default: false }),
  WEBHOOK_RETRY_SCHEDULE: Type.String({ default: '5s,5m,30m,2h,5h,10h,10h' }),
  ...TracingEnv,
});
export type Env = Type.Static<typeof EnvSchema>;

export interface Config {
  env: string;
  log: { level: Env['LOG_LEVEL'] };
  /** Test-only: the fault point armed in this process, or null (production). */
  faultPoint: string | null;
  http: {
    port: number;
    host: string;
    /** Requests one tenant may make to `/v1` a minute, counted in Redis across API processes. */
    rateLimitPerMin: number;
  };
  redis: { url: string; clusterNodes: { host: string; port: number }[] | null; prefix: string };
  s3: {
    endpoint: string | null;
    region: string;
    bucket: string;
    credentials: { accessKeyId: string; secretAccessKey: string } | null;
    forcePathStyle: boolean;
    presignTtlSeconds: number;
    /** Days a stored image is kept (a lifecycle rule on the bucket); null = kept. */
    imageRetentionDays: number | null;
  };
  imagen: {
    provider: Env['IMAGEN_PROVIDER'];
    baseUrl: string;
    apiKey: string | null;
    timeoutMs: number;
    /** Shutdown dates announced since this release (`MODEL_SHUTDOWNS`), registry id → date. */
    modelShutdowns: Record<string, string>;
  };
  auth: { apiKeys: { tenant: string; key: string }[]; adminKey: string | null };
  /** How long an `Idempotency-Key`'s first answer is kept and replayed. */
  idempotency: { ttlSeconds: number };
  worker: {
    /** `WORKER_CONCURRENCY`, else the adaptive concurrency's starting point. */
    concurrency: number;
    /** Whether `WORKER_CONCURRENCY` was set: it then pins the concurrency. */
    concurrencyPinned: boolean;
    /** The adaptive concurrency's cap. */
    maxConcurrency: number;
    /** Image bytes a worker may hold between the provider's answer and the upload. */
    memoryBudgetBytes: number;
    /** Image bytes a worker may leave in the Redis spool while uploads fail. */
    spoolMaxBytes: number;
    shutdownGraceMs: number;
    /** Port of the worker's Prometheus `/metrics` server; null = no server. */
    metricsPort: number | null;
    attempts: number;
    /** Full-jitter exponential backoff between attempts: base × 2^n, capped. */
    retryBaseMs: number;
    retryMaxMs: number;
    retentionSeconds: number;
    /** How long generated images wait in Redis for an upload that failed. */
    spoolTtlSeconds: number;
  };
  provider: {
    /** Hard ceiling for the shared limiter (requests per minute, all workers together). */
    ceilingPerMin: number | null;
    /** Where the shared limiter starts before the provider's 429s teach it the real limit. */
    initialPerMin: number;
  };
  webhooks: { allowPrivateNetworks: boolean; retryScheduleMs: number[] };
  budgets: {
    /** Daily USD cap per tenant (`*` = every tenant not listed). */
    tenantPerDay: AmountTable;
    /** USD per image by model, until the model's running average is known. */
    pricePerImage: AmountTable;
  };
  /** OpenTelemetry traces, from the standard `OTEL_*` variables; off unless they ask for it. */
  tracing: TracingConfig;
}

/** Every invalid variable, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Load and validate the configuration once; throws `ConfigError` listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(EnvSchema.properties);
  const raw = Object.fromEntries(
    known.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]),
  );
  const parsed = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw)) as Env;
  const problems = [...Value.Errors(EnvSchema, parsed)]
    .filter((e) => e.instancePath !== '')
    .map((e) => {
      const key = e.instancePath.slice(1);
      return `${key}: ${e.message} (got ${JSON.stringify(raw[key])})`;
    });
  const dedupedProblems = [...new Set(problems)];
  const keyProblem = (key: string) => dedupedProblems.some((p) => p.startsWith(`${key}:`));
  const check = <T>(key: string, parse: () => T, fallback: T): T => {
    if (keyProblem(key)) return fallback;
    try {
      return parse();
    } catch (error) {
      dedupedProblems.push(`${key}: ${(error as Error).message}`);
      return fallback;
    }
  };

  const redisUrl = check('REDIS_URL', () => parseUrl(parsed.REDIS_URL, ['redis:', 'rediss:']), '');
  const clusterNodes = check(
    'REDIS_CLUSTER_NODES',
    () => (parsed.REDIS_CLUSTER_NODES ? parseHostPorts(parsed.REDIS_CLUSTER_NODES) : null),
    null,
  );
  const s3Endpoint = check(
    'S3_ENDPOINT',
    () => (parsed.S3_ENDPOINT ? parseUrl(parsed.S3_ENDPOINT, ['http:', 'https:']) : null),
    null,
  );
  const imagenBaseUrl = check(
    'IMAGEN_BASE_URL',
    () => parseUrl(parsed.IMAGEN_BASE_URL, ['http:', 'https:']).replace(/\/+$/, ''),
    '',
  );
  const apiKeys = check('API_KEYS', () => parseApiKeys(parsed.API_KEYS), []);
  const modelShutdowns = check(
    'MODEL_SHUTDOWNS',
    () => parseModelShutdowns(parsed.MODEL_SHUTDOWNS),
    {},
  );
  const retryScheduleMs = check(
    'WEBHOOK_RETRY_SCHEDULE',
    () => parseDurations(parsed.WEBHOOK_RETRY_SCHEDULE),
    [],
  );
  const noAmounts: AmountTable = { byName: {}, fallback: null };
  const tenantPerDay = check(
    'TENANT_BUDGETS_USD_PER_DAY',
    () => parseAmounts(parsed.TENANT_BUDGETS_USD_PER_DAY),
    noAmounts,
  );
  const pricePerImage = check(
    'IMAGEN_PRICES_USD',
    () => parseAmounts(parsed.IMAGEN_PRICES_USD),
    noAmounts,
  );
  const tracing = check('OTEL_EXPORTER_OTLP_PROTOCOL', () => parseTracing(parsed), null);
  if (Boolean(parsed.S3_ACCESS_KEY_ID) !== Boolean(parsed.S3_SECRET_ACCESS_KEY)) {
    dedupedProblems.push(
      'S3_SECRET_ACCESS_KEY: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together',
    );
  }
  if (dedupedProblems.length > 0) throw new ConfigError(dedupedProblems);

  return {
    env: parsed.NODE_ENV ?? 'production',
    log: { level: parsed.LOG_LEVEL },
    faultPoint: parsed.IMAGEN_QUEUE_FAULT_POINT ?? null,
    http: { port: parsed.PORT, host: parsed.HOST, rateLimitPerMin: parsed.API_RATE_LIMIT_PER_MIN },
    redis: { url: redisUrl, clusterNodes, prefix: parsed.QUEUE_PREFIX },
    s3: {
      endpoint: s3Endpoint,
      region: parsed.S3_REGION,
      bucket: parsed.S3_BUCKET,
      credentials:
        parsed.S3_ACCESS_KEY_ID && parsed.S3_SECRET_ACCESS_KEY
          ? { accessKeyId: parsed.S3_ACCESS_KEY_ID, secretAccessKey: parsed.S3_SECRET_ACCESS_KEY }
          : null,
      forcePathStyle: parsed.S3_FORCE_PATH_STYLE,
      presignTtlSeconds: parsed.S3_PRESIGN_TTL_S,
      imageRetentionDays: parsed.IMAGE_RETENTION_DAYS ?? null,
    },
    imagen: {
      provider: parsed.IMAGEN_PROVIDER,
      baseUrl: imagenBaseUrl,
      apiKey: parsed.IMAGEN_API_KEY ?? null,
      timeoutMs: parsed.IMAGEN_TIMEOUT_MS,
      modelShutdowns,
    },
    auth: { apiKeys, adminKey: parsed.ADMIN_API_KEY ?? null },
    idempotency: { ttlSeconds: parsed.IDEMPOTENCY_TTL_S },
    worker: {
      concurrency: parsed.WORKER_CONCURRENCY ?? 4,
      concurrencyPinned: parsed.WORKER_CONCURRENCY !== undefined,
      maxConcurrency: parsed.WORKER_MAX_CONCURRENCY,
      memoryBudgetBytes: Math.round(parsed.WORKER_MEMORY_BUDGET_MB * 2 ** 20),
      spoolMaxBytes: Math.round(parsed.WORKER_SPOOL_MAX_MB * 2 ** 20),
      shutdownGraceMs: parsed.WORKER_SHUTDOWN_GRACE_MS,
      metricsPort: parsed.WORKER_METRICS_PORT === 0 ? null : parsed.WORKER_METRICS_PORT,
      attempts: parsed.JOB_ATTEMPTS,
      retryBaseMs: parsed.RETRY_BASE_MS,
      retryMaxMs: parsed.RETRY_MAX_MS,
      retentionSeconds: Math.round(parsed.JOB_RETENTION_DAYS * 86400),
      spoolTtlSeconds: parsed.SPOOL_TTL_S,
    },
    provider: {
      ceilingPerMin: parsed.PROVIDER_RATE_LIMIT_PER_MIN ?? null,
      // A quota the operator told us is the pace from the first call: nothing to discover.
      initialPerMin: parsed.PROVIDER_RATE_LIMIT_PER_MIN ?? parsed.PROVIDER_INITIAL_RATE_PER_MIN,
    },
    webhooks: {
      allowPrivateNetworks: parsed.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      retryScheduleMs,
    },
    budgets: { tenantPerDay, pricePerImage },
    tracing: tracing!,
  };
}

function parseUrl(value: string, protocols: string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`must be a URL (${protocols.join(' or ')}//…)`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new Error(`must use ${protocols.join(' or ')} (got ${url.protocol})`);
  }
  return value;
}

function parseHostPorts(value: string): { host: string; port: number }[] {
  return value.split(',').map((entry) => {
    const match = /^\s*([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\s*$/.exec(entry);
    if (!match || Number(match[2]) > 65535) throw new Error(`"${entry}" is not host:port`);
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  });
}

/** `tenant:key,tenant2:key2`; keys are never echoed back in errors. */
function parseApiKeys(value: string): { tenant: string; key: string }[] {
  if (value.trim() === '') return [];
  const seen = new Set<string>();
  return value.split(',').map((entry, index) => {
    const separator = entry.indexOf(':');
    const tenant = entry.slice(0, separator).trim();
    const key = entry.slice(separator + 1).trim();
    if (separator < 1 || !/^[a-zA-Z0-9_-]{1,64}$/.test(tenant) || key.length < 8) {
      throw new Error(
        `entry ${index} must be tenant:key (tenant [A-Za-z0-9_-]{1,64}, key at least 8 chars)`,
      );
    }
    if (seen.has(key)) throw new Error(`entry ${index} repeats a key`);
    seen.add(key);
    return { tenant, key };
  });
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `5s,5m,30m,2h` → milliseconds. */
export function parseDurations(value: string): number[] {
  return value.split(',').map((part) => {
    const match = /^\s*(\d+(?:\.\d+)?)(ms|s|m|h|d)\s*$/.exec(part);
    if (!match) throw new Error(`"${part}" is not a duration like 5s, 5m, 2h`);
    return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
  });
}
