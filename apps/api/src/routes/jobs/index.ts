import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  badRequest,
  GenerationRuleError,
  Job,
  newId,
  normalizeGeneration,
  notFound,
} from '@imagen-queue/shared';
import { toJobView } from '../../lib/job-view.ts';
import { JobParams, JobSubmission, METADATA_MAX_BYTES } from './schemas.ts';

const jobs: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/v1/jobs',
    { schema: { body: JobSubmission, response: { 202: Job } } },
    async (request, reply) => {
      const { webhook_url, metadata = {}, priority, ...input } = request.body;
      if (Buffer.byteLength(JSON.stringify(metadata)) > METADATA_MAX_BYTES) {
        throw badRequest('metadata is too large', [
          { path: '/metadata', message: `must be at most ${METADATA_MAX_BYTES} bytes as JSON` },
        ]);
      }
      let params: ReturnType<typeof normalizeGeneration>;
      try {
        params = normalizeGeneration(input);
      } catch (error) {
        if (!(error instanceof GenerationRuleError)) throw error;
        throw badRequest(`${error.path} ${error.message}`, [
          { path: error.path, message: error.message },
        ]);
      }
      const record = await fastify.jobStore.create({
        id: newId('job'),
        tenant: request.tenant,
        batchId: null,
        request: params,
        metadata,
        webhookUrl: webhook_url ?? null,
        priority: priority ?? 0,
      });
      try {
        await fastify.queues.generation.add(
          'generate-images',
          { jobId: record.id, tenant: record.tenant, requestId: request.id },
          {
            jobId: record.id,
            attempts: fastify.config.worker.attempts,
            backoff: { type: 'exponential', delay: 1000 },
            ...(priority ? { priority } : {}),
            removeOnComplete: { age: 3600 },
            removeOnFail: { age: fastify.config.worker.retentionSeconds },
          },
        );
      } catch (error) {
        // Not accepted: leave no record behind that would never run.
        await fastify.jobStore.remove(record.tenant, record.id).catch(() => {});
        throw error;
      }
      request.log.info({ jobId: record.id, tenant: record.tenant }, 'job accepted');
      return reply
        .code(202)
        .header('location', `/v1/jobs/${record.id}`)
        .send(await toJobView(record, fastify.storage));
    },
  );

  fastify.get(
    '/v1/jobs/:id',
    { schema: { params: JobParams, response: { 200: Job } } },
    async (request) => {
      const record = await fastify.jobStore.get(request.tenant, request.params.id);
      if (!record) throw notFound('job');
      return toJobView(record, fastify.storage);
    },
  );
};

export default jobs;
