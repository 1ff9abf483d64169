import { createListIndex, type ListIndex } from '@imagen-queue/shared';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The tenant's jobs and batches, newest first (`GET /v1/jobs`, `GET /v1/batches`). */
    listIndex: ListIndex;
  }
}

/**
 * A day past the job retention: by then every record it names has expired, unless its job
 * finished more than a day after it was created (still readable by id, no longer listed).
 */
const GRACE_SECONDS = 86_400;

export default fp(
  async (fastify) => {
    const { config } = fastify;
    fastify.decorate(
      'listIndex',
      createListIndex(fastify.redis, {
        prefix: config.redis.prefix,
        ttlSeconds: config.worker.retentionSeconds + GRACE_SECONDS,
      }),
    );
  },
  { name: 'list-index', dependencies: ['config', 'redis'] },
);
