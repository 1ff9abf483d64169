import { ConfigError } from '@imagen-queue/shared';
import Type from 'typebox';
import Value from 'typebox/value';

/** The emulator's behaviour; every field can be changed at run time (`POST /__emulator/config`). */
export const EmulatorConfigSchema = Type.Object(
  {
    /** Added to every generation: fixed (`[500, 500]`) or uniform in [min, max]. */
    latencyMs: Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 })]),
    /** Requests per rolling minute before 429s; null: no limit. */
    rateLimitRpm: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    /** Whether a 429 carries `Retry-After` (seconds). */
    retryAfter: Type.Boolean(),
    /** Share of generations answered 500 or 503. */
    failureRate: Type.Number({ minimum: 0, maximum: 1 }),
    /** Share of generations never answered. */
    hangRate: Type.Number({ minimum: 0, maximum: 1 }),
    /** Incompressible 1–3 MB images, for memory benchmarks. */
    noise: Type.Boolean(),
    /** Sizes divided by 16 (1:1 → 64×64), for throughput benchmarks. */
    smallImages: Type.Boolean(),
    /** Shape of AI/ML API answers: `data[]` or `output.choices[]`. */
    responseShape: Type.Enum(['data', 'output']),
    /** The only key accepted; null accepts every non-empty key. */
    apiKey: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
    /** Test knob: answer every generation with this status (an error body of the provider's). */
    forceStatus: Type.Union([Type.Integer({ minimum: 400, maximum: 599 }), Type.Null()]),
    /** USD per answered image, by model name as sent (`google/imagen-4.0-generate-001`). */
    pricesUsd: Type.Record(Type.String(), Type.Number({ minimum: 0 })),
    /** USD per image for a model not in `pricesUsd`. */
    defaultPriceUsd: Type.Number({ minimum: 0 }),
    /** Credits reported per USD spent (`x-aimlapi-credits-used`). */
    creditsPerUsd: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type EmulatorConfig = Type.Static<typeof EmulatorConfigSchema>;

export const DEFAULT_EMULATOR_CONFIG: EmulatorConfig = {
  latencyMs: [0, 0],
  rateLimitRpm: null,
  retryAfter: true,
  failureRate: 0,
  hangRate: 0,
  noise: false,
  smallImages: false,
  responseShape: 'data',
  apiKey: null,
  forceStatus: null,
  pricesUsd: {},
  defaultPriceUsd: 0.04,
  creditsPerUsd: 2100,
};

/** `model=usd,model=usd`: a price per image for some models. */
const PRICES_PATTERN = '^$|^[^=,\\s]+=\\d+(\\.\\d+)?(,[^=,\\s]+=\\d+(\\.\\d+)?)*$';

function parsePrices(value: string): Record<string, number> {
  if (!value) return {};
  return Object.fromEntries(
    value.split(',').map((pair) => {
      const at = pair.lastIndexOf('=');
      return [pair.slice(0, at), Number(pair.slice(at + 1))];
    }),
  );
}

const EnvSchema = Type.Object({
  EMULATOR_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8090 }),
  EMULATOR_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  EMULATOR_LATENCY_MS: Type.String({ pattern: '^\\d+(-\\d+)?$', default: '0' }),
  EMULATOR_RATE_LIMIT_RPM: Type.Integer({ minimum: 0, default: 0 }),
  EMULATOR_RETRY_AFTER: Type.Boolean({ default: true }),
  EMULATOR_FAILURE_RATE: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
  EMULATOR_HANG_RATE: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
  EMULATOR_NOISE: Type.Boolean({ default: false }),
  EMULATOR_SMALL_IMAGES: Type.Boolean({ default: false }),
  EMULATOR_RESPONSE_SHAPE: Type.Enum(['data', 'output'], { default: 'data' }),
  EMULATOR_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  EMULATOR_FORCE_STATUS: Type.Optional(Type.Integer({ minimum: 400, maximum: 599 })),
  EMULATOR_PRICE_USD: Type.Number({ minimum: 0, default: 0.04 }),
  EMULATOR_PRICES_USD: Type.String({ pattern: PRICES_PATTERN, default: '' }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
  }),
});

export interface EmulatorSettings extends EmulatorConfig {
  port: number;
  host: string;
  logLevel: string;
}

/** Read the `EMULATOR_*` variables; throws `ConfigError` listing every invalid one. */
export function loadEmulatorConfig(env: NodeJS.ProcessEnv = process.env): EmulatorSettings {
  const known = Object.keys(EnvSchema.properties);
  const raw = Object.fromEntries(known.filter((k) => env[k]).map((k) => [k, env[k]]));
  const parsed = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw)) as Type.Static<
    typeof EnvSchema
  >;
  const problems = [...Value.Errors(EnvSchema, parsed)].map((error) => {
    const key = error.instancePath.slice(1);
    return `${key}: ${error.message} (got ${JSON.stringify(raw[key])})`;
  });
  const latencyMs = parseLatency(parsed.EMULATOR_LATENCY_MS);
  if (!latencyMs)
    problems.push(
      `EMULATOR_LATENCY_MS: min must not exceed max (got "${raw.EMULATOR_LATENCY_MS}")`,
    );
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return {
    port: parsed.EMULATOR_PORT,
    host: parsed.EMULATOR_HOST,
    logLevel: parsed.LOG_LEVEL,
    latencyMs: latencyMs ?? [0, 0],
    rateLimitRpm: parsed.EMULATOR_RATE_LIMIT_RPM || null,
    retryAfter: parsed.EMULATOR_RETRY_AFTER,
    failureRate: parsed.EMULATOR_FAILURE_RATE,
    hangRate: parsed.EMULATOR_HANG_RATE,
    noise: parsed.EMULATOR_NOISE,
    smallImages: parsed.EMULATOR_SMALL_IMAGES,
    responseShape: parsed.EMULATOR_RESPONSE_SHAPE,
    apiKey: parsed.EMULATOR_API_KEY ?? null,
    forceStatus: parsed.EMULATOR_FORCE_STATUS ?? null,
    pricesUsd: problems.length > 0 ? {} : parsePrices(parsed.EMULATOR_PRICES_USD),
    defaultPriceUsd: parsed.EMULATOR_PRICE_USD,
    creditsPerUsd: DEFAULT_EMULATOR_CONFIG.creditsPerUsd,
  };
}

/** `"500"` → [500, 500]; `"200-800"` → [200, 800]; null when min > max or not a latency. */
export function parseLatency(value: unknown): [number, number] | null {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return [value, value];
  if (Array.isArray(value)) return parseLatency(value.join('-'));
  const match = typeof value === 'string' ? /^(\d+)(?:-(\d+))?$/.exec(value.trim()) : null;
  if (!match) return null;
  const min = Number(match[1]);
  const max = Number(match[2] ?? match[1]);
  return min <= max ? [min, max] : null;
}

/**
 * Validate a run-time patch (camelCase JSON). `latencyMs` may also be `500` or `"200-800"`,
 * and `rateLimitRpm: 0` means no limit, as in the environment.
 */
export function parseConfigPatch(
  body: unknown,
): { patch: Partial<EmulatorConfig> } | { errors: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { errors: ['the body must be a JSON object'] };
  }
  const input: Record<string, unknown> = { ...body };
  if ('latencyMs' in input) {
    const latency = parseLatency(input.latencyMs);
    if (!latency)
      return { errors: ['/latencyMs: expected ms, "min-max" or [min, max] with min <= max'] };
    input.latencyMs = latency;
  }
  if (input.rateLimitRpm === 0) input.rateLimitRpm = null;
  const known = Object.keys(EmulatorConfigSchema.properties);
  const unknown = Object.keys(input).filter((key) => !known.includes(key));
  const schema = Type.Partial(EmulatorConfigSchema);
  const errors = [
    ...unknown.map((key) => `/${key}: unknown knob (known: ${known.join(', ')})`),
    ...[...Value.Errors(schema, input)].map((e) => `${e.instancePath || '/'}: ${e.message}`),
  ];
  return errors.length > 0 ? { errors } : { patch: input as Partial<EmulatorConfig> };
}
