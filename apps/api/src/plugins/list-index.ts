import { createListIndex, type ListIndex, listIndexTtlSeconds } from '@imagen-queue/store';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The tenant's jobs and batches, newest first (`GET /v1/jobs`, `GET /v1/batches`). */
    listIndex: ListIndex;
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify;
    fastify.decorate(
      'listIndex',
      createListIndex(fastify.redis, {
        prefix: config.redis.prefix,
        ttlSeconds: listIndexTtlSeconds(config.worker.retentionSeconds),
      }),
    );
  },
  { name: 'list-index', dependencies: ['config', 'redis'] },
);
