import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Job, type JobRecord, toJobView } from '@imagen-queue/contract';
import { cancelJobs } from '../../lib/cancel.ts';
import { resolveControl } from '../../lib/control.ts';
import { createJob } from '../../lib/create-job.ts';
import { enqueueAll } from '../../lib/enqueue.ts';
import { idempotent } from '../../lib/idempotency.ts';
import { conflict, notFound } from '../../lib/problem-error.ts';
import { checkReferenceImages } from '../../lib/reference-images.ts';
import { checkMetadata, checkWebhookUrl, resolveParams } from '../../lib/submission.ts';
import { IdempotencyHeaders, JobParams, JobSubmission } from './schemas.ts';

const jobs: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify;
  const idempotency = {
    redis: fastify.redis,
    prefix: config.redis.prefix,
    ttlSeconds: config.idempotency.ttlSeconds,
  };
  const load = async (tenant: string, id: string): Promise<JobRecord> => {
    const record = await fastify.jobStore.get(tenant, id);
    if (!record) throw notFound('job');
    return record;
  };

  fastify.post(
    '/v1/jobs',
    { schema: { body: JobSubmission, headers: IdempotencyHeaders, response: { 202: Job } } },
    (request, reply) =>
      idempotent(idempotency, request, reply, async () => {
        const {
          webhook_url,
          metadata = {},
          priority,
          start_before,
          start_within_s,
          cache,
          ...input
        } = request.body;
        const control = resolveControl({ start_before, start_within_s, cache }, Date.now());
        checkMetadata(metadata);
        checkWebhookUrl(webhook_url, config.webhooks.allowPrivateNetworks);
        const params = resolveParams(input);
        await checkReferenceImages(params, {
          tenant: request.tenant,
          jobStore: fastify.jobStore,
          allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
        });
        const record = await createJob(fastify, {
          tenant: request.tenant,
          request: params,
          metadata,
          webhookUrl: webhook_url ?? null,
          priority: priority ?? 0,
          requestId: request.id,
          control,
        });
        // Said by the request's one log line: a second line per job costs as much as a round trip.
        request.logFields = { jobId: record.id };
        return {
          status: 202,
          headers: { location: `/v1/jobs/${record.id}` },
          body: await toJobView(record, fastify.storage),
        };
      }),
  );

  fastify.get(
    '/v1/jobs/:id',
    { schema: { params: JobParams, response: { 200: Job } } },
    async (request) => toJobView(await load(request.tenant, request.params.id), fastify.storage),
  );

  fastify.post(
    '/v1/jobs/:id/cancel',
    { schema: { params: JobParams, response: { 200: Job } } },
    async (request) => {
      const record = await load(request.tenant, request.params.id);
      const [canceled] = await cancelJobs(fastify, [record], fastify.onJobFinished);
      if (!canceled) {
        const { status } = await load(record.tenant, record.id);
        throw conflict(
          `the job already finished (${status}); only a queued or running job can be canceled`,
        );
      }
      request.log.info({ jobId: record.id, tenant: record.tenant }, 'job canceled');
      return toJobView(await load(record.tenant, record.id), fastify.storage);
    },
  );

  fastify.post(
    '/v1/jobs/:id/retry',
    { schema: { params: JobParams, response: { 202: Job } } },
    async (request, reply) => {
      const record = await load(request.tenant, request.params.id);
      if (record.status !== 'failed' && record.status !== 'canceled') {
        throw conflict(
          `only a failed or canceled job can be retried; this one is ${record.status}`,
        );
      }
      // The finished BullMQ job still holds the id; a canceled one may still be stopping.
      const previous = await fastify.queues.generation.getJob(record.id);
      if (previous) {
        const removed = await previous.remove().then(
          () => true,
          () => false,
        );
        if (!removed) throw conflict('the job is still stopping; retry in a few seconds');
      }
      const outcome = await fastify.jobStore.transition(record.tenant, record.id, {
        from: ['failed', 'canceled'],
        to: 'queued',
        result: null,
        error: null,
        batchId: record.batchId,
      });
      if (!outcome.applied) throw conflict('the job changed meanwhile; read it and try again');
      try {
        await enqueueAll(fastify.queues.generation, config, [record], request.id, fastify.tracing);
      } catch (error) {
        // Not queued: put the record back as it was, so the job can be retried again.
        await fastify.jobStore
          .transition(record.tenant, record.id, {
            from: ['queued'],
            to: record.status,
            result: record.result,
            error: record.error,
            batchId: record.batchId,
          })
          .catch(() => {});
        throw error;
      }
      request.log.info({ jobId: record.id, tenant: record.tenant }, 'job re-queued');
      return reply
        .code(202)
        .send(await toJobView(await load(record.tenant, record.id), fastify.storage));
    },
  );
};

export default jobs;
