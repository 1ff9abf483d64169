import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Batch, Job, toBatchView, toJobView } from '@imagen-queue/contract';
import Type from 'typebox';
import { resolveControl } from '../../lib/control.ts';
import { idempotencyRedisKey, requestFingerprint } from '../../lib/idempotency.ts';
import { registerNdjsonParser } from '../../lib/ndjson.ts';
import { checkReferenceImages } from '../../lib/reference-images.ts';
import { checkMetadata, checkWebhookUrl, resolveParams } from '../../lib/submission.ts';
import { IdempotencyHeaders } from '../jobs/schemas.ts';
import { createEtaReader } from './eta.ts';
import results from './results.ts';
import {
  BATCH_MAX_JOBS,
  BatchJobsQuery,
  BatchParams,
  BatchSubmission,
  NdjsonQuery,
} from './schemas.ts';

const batches: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config, batchService } = fastify;
  registerNdjsonParser(fastify, BATCH_MAX_JOBS);
  await fastify.register(results);
  const readEta = createEtaReader({
    redis: fastify.redis,
    prefix: config.redis.prefix,
    batchStore: fastify.batchStore,
    jobStore: fastify.jobStore,
  });

  fastify.post(
    '/v1/batches',
    {
      schema: {
        description:
          'Submits up to 10,000 jobs at once. The body is JSON as below, or `application/x-ndjson`: ' +
          'one generation-parameters object a line (then `webhook_url` goes in the query string). ' +
          'Every line is validated before anything is queued; one bad line is a 400 naming it.',
        body: BatchSubmission,
        querystring: NdjsonQuery,
        headers: IdempotencyHeaders,
        response: { 202: Batch },
      },
    },
    async (request, reply) => {
      const { jobs, defaults = {}, webhook_url, metadata = {} } = request.body;
      const idemKey = idempotencyRedisKey(config.redis.prefix, request);
      const { start_before, start_within_s, cache } = request.body;
      const control = resolveControl({ start_before, start_within_s, cache }, Date.now());
      checkMetadata(metadata);
      checkWebhookUrl(webhook_url, config.webhooks.allowPrivateNetworks);
      // Every line is checked before anything is written or queued.
      const params = jobs.map((job, i) => resolveParams({ ...defaults, ...job }, `/jobs/${i}`));
      const references = {
        tenant: request.tenant,
        jobStore: fastify.jobStore,
        allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
      };
      for (const [i, line] of params.entries()) {
        if (line.image_urls) await checkReferenceImages(line, references, `/jobs/${i}`);
      }
      const { answer, replayed } = await batchService.submit({
        tenant: request.tenant,
        params,
        metadata,
        webhookUrl: webhook_url ?? null,
        maxCostUsd: request.body.max_cost_usd ?? null,
        control,
        requestId: request.id,
        idempotency: idemKey ? { key: idemKey, fingerprint: requestFingerprint(request) } : null,
      });
      const batch = answer.body as Batch;
      if (replayed) reply.header('idempotent-replayed', 'true');
      else {
        request.log.info(
          { batchId: batch.id, tenant: request.tenant, jobs: params.length },
          'batch accepted',
        );
      }
      return reply
        .code(202)
        .headers(answer.headers ?? {})
        .send(batch);
    },
  );

  fastify.get(
    '/v1/batches/:id',
    { schema: { params: BatchParams, response: { 200: Batch } } },
    async (request) => {
      const record = await batchService.get(request.tenant, request.params.id);
      return toBatchView(record, await readEta(record));
    },
  );

  fastify.get(
    '/v1/batches/:id/jobs',
    {
      schema: {
        params: BatchParams,
        querystring: BatchJobsQuery,
        response: {
          200: Type.Object({
            data: Type.Array(Job),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const { status, limit = 100, cursor } = request.query;
      const page = await batchService.jobsPage(request.tenant, request.params.id, {
        ...(status ? { status } : {}),
        limit,
        cursor: Number(cursor ?? 0),
      });
      return {
        data: await Promise.all(page.jobs.map((job) => toJobView(job, fastify.storage))),
        next_cursor: page.nextCursor === null ? null : String(page.nextCursor),
      };
    },
  );

  fastify.post(
    '/v1/batches/:id/cancel',
    { schema: { params: BatchParams, response: { 200: Batch } } },
    async (request) => {
      const { batch, canceled } = await batchService.cancel(request.tenant, request.params.id);
      request.log.info({ batchId: batch.id, tenant: batch.tenant, canceled }, 'batch canceled');
      return toBatchView(batch);
    },
  );
};

export default batches;
