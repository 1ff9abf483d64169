import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Job, toJobView } from '@imagen-queue/contract';
import { createIdempotencyStore } from '@imagen-queue/store';
import { resolveControl } from '../../lib/control.ts';
import { idempotent } from '../../lib/idempotency.ts';
import { checkReferenceImages } from '../../lib/reference-images.ts';
import { countHeaders, requestCounter } from '../../lib/request-limit.ts';
import { checkMetadata, checkWebhookUrl, resolveParams } from '../../lib/submission.ts';
import { IdempotencyHeaders, JobParams, JobSubmission } from './schemas.ts';

const jobs: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config, jobService } = fastify;
  const idempotency = {
    store: createIdempotencyStore(fastify.redis),
    prefix: config.redis.prefix,
    ttlSeconds: config.idempotency.ttlSeconds,
  };
  const requestCount = requestCounter(config);

  fastify.post(
    '/v1/jobs',
    {
      schema: { body: JobSubmission, headers: IdempotencyHeaders, response: { 202: Job } },
      // The request is counted by the script that reserves its job's position (one round
      // trip less), after its body is read and checked; an invalid one is not counted.
      config: { rateLimit: false },
    },
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
        const { record, counted } = await jobService.submit({
          tenant: request.tenant,
          request: params,
          metadata,
          webhookUrl: webhook_url ?? null,
          priority: priority ?? 0,
          requestId: request.id,
          control,
          count: requestCount(request.tenant),
        });
        // On the reply, not in the stored answer: a replay shows no count of its own.
        if (counted) reply.headers(countHeaders(counted));
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
    async (request) =>
      toJobView(await jobService.get(request.tenant, request.params.id), fastify.storage),
  );

  fastify.post(
    '/v1/jobs/:id/cancel',
    { schema: { params: JobParams, response: { 200: Job } } },
    async (request) => {
      const job = await jobService.cancel(request.tenant, request.params.id);
      request.log.info({ jobId: job.id, tenant: job.tenant }, 'job canceled');
      return toJobView(job, fastify.storage);
    },
  );

  fastify.post(
    '/v1/jobs/:id/retry',
    { schema: { params: JobParams, response: { 202: Job } } },
    async (request, reply) => {
      const job = await jobService.retry(request.tenant, request.params.id, request.id);
      request.log.info({ jobId: job.id, tenant: job.tenant }, 'job re-queued');
      return reply.code(202).send(await toJobView(job, fastify.storage));
    },
  );
};

export default jobs;
