import Type from 'typebox';

/**
 * The standard OpenTelemetry variables we honour (their names and meanings are the spec's, see
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). Read here,
 * like every other variable, and handed to the SDK explicitly.
 */
export const TracingEnv = {
  OTEL_SDK_DISABLED: Type.Boolean({ default: false }),
  OTEL_TRACES_EXPORTER: Type.Optional(Type.String()),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(Type.String()),
  OTEL_EXPORTER_OTLP_PROTOCOL: Type.Optional(Type.String()),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: Type.Optional(Type.String()),
  OTEL_EXPORTER_OTLP_HEADERS: Type.Optional(Type.String()),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: Type.Optional(Type.String()),
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1 })),
  OTEL_RESOURCE_ATTRIBUTES: Type.Optional(Type.String()),
  OTEL_TRACES_SAMPLER: Type.Enum(
    [
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ],
    { default: 'parentbased_always_on' },
  ),
  OTEL_TRACES_SAMPLER_ARG: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  OTEL_BSP_SCHEDULE_DELAY: Type.Integer({ minimum: 0, default: 5000 }),
};

export interface TracingConfig {
  /** False unless an OTLP endpoint is given (or `OTEL_TRACES_EXPORTER=otlp`) and not disabled. */
  enabled: boolean;
  /** The full URL spans are POSTed to (`…/v1/traces`). */
  url: string;
  protocol: 'http/json' | 'http/protobuf';
  headers: Record<string, string>;
  /** Null: the process's own default (`imagen-queue-api`, `imagen-queue-worker`). */
  serviceName: string | null;
  resourceAttributes: Record<string, string>;
  sampler: { name: string; ratio: number };
  scheduleDelayMs: number;
}

interface TracingVars {
  OTEL_SDK_DISABLED: boolean;
  OTEL_TRACES_EXPORTER?: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_PROTOCOL?: string;
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: string;
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  OTEL_EXPORTER_OTLP_TRACES_HEADERS?: string;
  OTEL_SERVICE_NAME?: string;
  OTEL_RESOURCE_ATTRIBUTES?: string;
  OTEL_TRACES_SAMPLER: string;
  OTEL_TRACES_SAMPLER_ARG?: number;
  OTEL_BSP_SCHEDULE_DELAY: number;
}

/** `k=v,k2=v2` with percent-encoded values, as the spec writes headers and attributes. */
function parsePairs(value: string | undefined): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const part of (value ?? '').split(',')) {
    const at = part.indexOf('=');
    if (at < 1) continue;
    pairs[part.slice(0, at).trim()] = decodeURIComponent(part.slice(at + 1).trim());
  }
  return pairs;
}

export function parseTracing(env: TracingVars): TracingConfig {
  const exporter = env.OTEL_TRACES_EXPORTER ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : '');
  const explicit = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const enabled =
    !env.OTEL_SDK_DISABLED &&
    exporter !== 'none' &&
    (exporter === 'otlp' || Boolean(explicit) || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT));
  const protocol =
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw new Error(`must be http/protobuf or http/json (got "${protocol}"; grpc is not built in)`);
  }
  const base = (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318').replace(/\/+$/, '');
  return {
    enabled,
    // The signal-specific endpoint is used as given; the general one gets the signal's path.
    url: explicit ?? `${base}/v1/traces`,
    protocol,
    headers: {
      ...parsePairs(env.OTEL_EXPORTER_OTLP_HEADERS),
      ...parsePairs(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    },
    serviceName: env.OTEL_SERVICE_NAME ?? null,
    resourceAttributes: parsePairs(env.OTEL_RESOURCE_ATTRIBUTES),
    sampler: { name: env.OTEL_TRACES_SAMPLER, ratio: env.OTEL_TRACES_SAMPLER_ARG ?? 1 },
    scheduleDelayMs: env.OTEL_BSP_SCHEDULE_DELAY,
  };
}
