import { bullPrefix, createJobStore, type JobStore, QUEUES } from '@imagen-queue/shared';
import { Queue } from 'bullmq';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    queues: { generation: Queue };
    jobStore: JobStore;
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify;
    const generation = new Queue(QUEUES.generation, {
      connection: fastify.redis,
      prefix: bullPrefix(config.redis.prefix),
    });
    generation.on('error', (error) => fastify.log.warn({ err: error }, 'generation queue error'));
    fastify.decorate('queues', { generation });
    fastify.decorate(
      'jobStore',
      createJobStore(fastify.redis, {
        prefix: config.redis.prefix,
        retentionSeconds: config.worker.retentionSeconds,
      }),
    );
    fastify.addHook('onClose', async () => {
      await generation.close();
    });
  },
  { name: 'queues', dependencies: ['config', 'redis'] },
);
