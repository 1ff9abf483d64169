import { bullPrefix, QUEUE_STREAMS, QUEUES } from '@imagen-queue/contract';
import {
  type BatchStore,
  createBatchStore,
  createJobStore,
  type JobStore,
} from '@imagen-queue/store';
import { Queue } from 'bullmq';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    queues: { generation: Queue };
    jobStore: JobStore;
    batchStore: BatchStore;
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify;
    const generation = new Queue(QUEUES.generation, {
      connection: fastify.redis,
      prefix: bullPrefix(config.redis.prefix),
      streams: QUEUE_STREAMS,
      ...(fastify.tracing.bullmq ? { telemetry: fastify.tracing.bullmq } : {}),
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
    fastify.decorate(
      'batchStore',
      createBatchStore(fastify.redis, { prefix: config.redis.prefix }),
    );
    fastify.addHook('onClose', async () => {
      await generation.close();
    });
  },
  { name: 'queues', dependencies: ['config', 'redis', 'tracing'] },
);
