import fp from 'fastify-plugin';
import { type BatchService, createBatchService } from '../services/batches.ts';
import { createJobService, type JobService } from '../services/jobs.ts';

declare module 'fastify' {
  interface FastifyInstance {
    jobService: JobService;
    batchService: BatchService;
  }
}

/** The jobs and batches services, given their stores, queue and hooks; the routes use these. */
export default fp(
  async (fastify) => {
    const { config } = fastify;
    const jobService = createJobService({
      config,
      redis: fastify.redis,
      queue: fastify.queues.generation,
      jobStore: fastify.jobStore,
      listIndex: fastify.listIndex,
      tracing: fastify.tracing,
      log: fastify.log,
      async onFinished(job, outcome) {
        // Succeeded and failed are counted by the worker; a cancel is applied here.
        if (job.status === 'canceled')
          fastify.metrics.jobsFinished.inc({ outcome: 'canceled', code: 'canceled' });
        await fastify.webhooks.jobFinished(job, outcome);
      },
    });
    const batchService = createBatchService({
      config,
      redis: fastify.redis,
      queue: fastify.queues.generation,
      batchStore: fastify.batchStore,
      jobs: jobService,
      tracing: fastify.tracing,
      log: fastify.log,
    });
    fastify.decorate('jobService', jobService);
    fastify.decorate('batchService', batchService);
    fastify.addHook('onClose', () => batchService.close());
  },
  {
    name: 'services',
    dependencies: ['config', 'redis', 'tracing', 'queues', 'list-index', 'webhooks', 'metrics'],
  },
);
