import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@imagen-queue/shared';
import fp from 'fastify-plugin';
import { ProblemError } from '../lib/problem-error.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant named by the bearer key; set on every `/v1` route. */
    tenant: string;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Bearer API keys from `API_KEYS`. Only their SHA-256 digests stay in memory, and every
 * digest is compared in constant time, so neither the keys nor their prefixes leak.
 */
export default fp(
  async (fastify) => {
    const keys = fastify.config.auth.apiKeys.map(({ tenant, key }) => ({
      tenant,
      digest: digest(key),
    }));
    fastify.decorateRequest('tenant', '');
    // Callback style: an async hook costs a promise per request, and this one awaits nothing.
    fastify.addHook('onRequest', (request, _reply, done) => {
      // The matched route, not the raw URL: `/%761/jobs` or `POST http://host/v1/jobs` reach the
      // same handlers and must meet the same check.
      if (!request.routeOptions.url?.startsWith('/v1/')) return done();
      const header = request.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const presented = digest(match?.[1] ?? '');
      let tenant: string | null = null;
      for (const key of keys) {
        if (timingSafeEqual(key.digest, presented) && match) tenant = key.tenant;
      }
      if (!tenant) {
        return done(
          new ProblemError(
            401,
            'Unauthorized',
            'a valid "Authorization: Bearer <key>" header is required',
            {
              headers: { 'www-authenticate': 'Bearer' },
            },
          ),
        );
      }
      request.tenant = tenant;
      // Onto the request's own child logger: a child of it would cost as much again.
      (request.log as unknown as Logger).setBindings({ tenant });
      done();
    });
  },
  { name: 'auth', dependencies: ['config'] },
);
