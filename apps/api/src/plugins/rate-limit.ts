import rateLimit from '@fastify/rate-limit';
import { redisKeys } from '@imagen-queue/contract';
import fp from 'fastify-plugin';
import { ProblemError } from '../lib/problem-error.ts';

/**
 * `API_RATE_LIMIT_PER_MIN` requests a minute per tenant on every `/v1` route, counted in Redis so
 * every API process shares one count. Answers carry the IETF draft `RateLimit-*` headers; the
 * request over the limit gets a 429 problem with `Retry-After`. While Redis is down the limiter
 * steps aside (`skipOnError`) and the route itself answers 503.
 */
export default fp(
  async (fastify) => {
    const { config } = fastify;
    await fastify.register(rateLimit, {
      max: config.http.rateLimitPerMin,
      timeWindow: 60_000,
      redis: fastify.redis,
      nameSpace: redisKeys(config.redis.prefix).rateLimitNamespace(),
      skipOnError: true,
      enableDraftSpec: true,
      // Runs after auth's onRequest hook (route hooks come after the instance's): the tenant is known.
      keyGenerator: (request) => request.tenant,
      allowList: (request) => request.tenant === '',
      errorResponseBuilder: (_request, context) =>
        new ProblemError(
          429,
          'Too Many Requests',
          `at most ${context.max} requests a minute per API key; retry in ${context.after}`,
          { headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) } },
        ),
    });
  },
  { name: 'rate-limit', dependencies: ['config', 'redis', 'auth'] },
);
