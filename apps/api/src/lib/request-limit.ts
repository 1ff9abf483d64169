import { redisKeys } from '@imagen-queue/contract';
import type { Config } from '@imagen-queue/shared';
import type { RequestCount, RequestCounted, RequestLimitExceeded } from '@imagen-queue/store';
import { ProblemError } from './problem-error.ts';

/** The per-tenant request limit's window (`API_RATE_LIMIT_PER_MIN`). */
export const REQUEST_WINDOW_MS = 60_000;

/**
 * A tenant's request count as `@fastify/rate-limit` keeps it: a route that counts its request
 * itself (in the script that reserves its jobs' positions) shares the count of every other route.
 * Made once per route, so a request only names its tenant.
 */
export function requestCounter(config: Config): (tenant: string) => RequestCount {
  const namespace = redisKeys(config.redis.prefix).rateLimitNamespace();
  const max = config.http.rateLimitPerMin;
  return (tenant) => ({ key: `${namespace}${tenant}`, windowMs: REQUEST_WINDOW_MS, max });
}

/** The 429 of a request over its tenant's limit, with `Retry-After` (and `headers`). */
export function tooManyRequests(
  max: number,
  ttlMs: number,
  headers: Record<string, string> = {},
): ProblemError {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return new ProblemError(
    429,
    'Too Many Requests',
    `at most ${max} requests a minute per API key; retry in ${seconds} s`,
    { headers: { ...headers, 'retry-after': String(seconds) } },
  );
}

/** The IETF draft `RateLimit-*` headers, as `@fastify/rate-limit` sets them on other routes. */
export function countHeaders(counted: RequestCounted): Record<string, string> {
  return {
    'ratelimit-limit': String(counted.max),
    'ratelimit-remaining': String(Math.max(0, counted.max - counted.current)),
    'ratelimit-reset': String(Math.ceil(counted.ttlMs / 1000)),
  };
}

/** `RequestLimitExceeded` from the store as the API answers it. */
export function limitProblem(error: RequestLimitExceeded): ProblemError {
  return tooManyRequests(error.counted.max, error.counted.ttlMs, countHeaders(error.counted));
}
