import rateLimit from '@fastify/rate-limit';
import { redisKeys } from '@imagen-queue/contract';
import fp from 'fastify-plugin';
import { REQUEST_WINDOW_MS, tooManyRequests } from '../lib/request-limit.ts';

/**
 * `API_RATE_LIMIT_PER_MIN` requests a minute per tenant on every `/v1` route, counted in Redis so
 * every API process shares one count. Answers carry the IETF draft `RateLimit-*` headers; the
 * request over the limit gets a 429 problem with `Retry-After`. While Redis is down the limiter
 * steps aside (`skipOnError`) and the route itself answers 503. `POST /v1/jobs` opts out
 * (`config: { rateLimit: false }`) and counts its request in the same key itself, in the script
 * that reserves its job's fair-share position (`lib/request-limit.ts`): one round trip less.
 */
export default fp(
  async (fastify) => {
    const { config } = fastify;
    await fastify.register(rateLimit, {
      max: config.http.rateLimitPerMin,
      timeWindow: REQUEST_WINDOW_MS,
      redis: fastify.redis,
      nameSpace: redisKeys(config.redis.prefix).rateLimitNamespace(),
      skipOnError: true,
      enableDraftSpec: true,
      // Runs after auth's onRequest hook (route hooks come after the instance's): the tenant is known.
      keyGenerator: (request) => request.tenant,
      allowList: (request) => request.tenant === '',
      errorResponseBuilder: (_request, context) => tooManyRequests(context.max, context.ttl),
    });
  },
  { name: 'rate-limit', dependencies: ['config', 'redis', 'auth'] },
);
