import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  Batch,
  type BatchRecord,
  Job,
  type JobRecord,
  newBatchRecord,
  newId,
  newJobRecord,
  toBatchView,
  toJobView,
} from '@imagen-queue/contract';
import { createBatchAccepting, createBudgetStore, startAcceptSweeper } from '@imagen-queue/store';
import Type from 'typebox';
import { cancelJobs } from '../../lib/cancel.ts';
import { resolveControl } from '../../lib/control.ts';
import { checkBatchBudget } from '../../lib/estimate-cost.ts';
import { idempotencyRedisKey, requestFingerprint } from '../../lib/idempotency.ts';
import { registerNdjsonParser } from '../../lib/ndjson.ts';
import { conflict, notFound } from '../../lib/problem-error.ts';
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

/** How many list entries one page may read past while looking for a `status` match. */
const SCAN_PER_PAGE = 5000;

const batches: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify;
  registerNdjsonParser(fastify, BATCH_MAX_JOBS);
  const budgets = createBudgetStore(fastify.redis, { prefix: config.redis.prefix });
  await fastify.register(results);
  const accepting = createBatchAccepting({
    connection: fastify.redis,
    prefix: config.redis.prefix,
    config,
    queue: fastify.queues.generation,
    tracing: fastify.tracing,
  });
  // Batches whose accepting process died are finished by any API (and worker) within the bound.
  const sweeper = startAcceptSweeper(accepting, (error) =>
    fastify.log.warn({ err: error }, 'accepting sweep failed'),
  );
  fastify.addHook('onClose', () => sweeper.stop());
  const readEta = createEtaReader({
    redis: fastify.redis,
    prefix: config.redis.prefix,
    batchStore: fastify.batchStore,
    jobStore: fastify.jobStore,
  });
  const load = async (tenant: string, id: string): Promise<BatchRecord> => {
    const record = await fastify.batchStore.get(tenant, id);
    if (!record) throw notFound('batch');
    return record;
  };
  const loadJobs = async (tenant: string, ids: string[]): Promise<JobRecord[]> =>
    (await Promise.all(ids.map((id) => fastify.jobStore.get(tenant, id)))).filter(
      (job): job is JobRecord => job !== null,
    );

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
      await checkBatchBudget(budgets, config, params, request.body.max_cost_usd);
      const fingerprint = idemKey ? requestFingerprint(request) : '';
      const batchId = newId('bat');
      const createdAt = new Date().toISOString();
      const records = params.map((request_) =>
        newJobRecord(
          {
            id: newId('job'),
            tenant: request.tenant,
            batchId,
            request: request_,
            metadata: {},
            webhookUrl: null,
            priority: 0,
            control,
          },
          createdAt,
        ),
      );
      const outcome = await accepting.accept({
        batch: newBatchRecord(
          {
            id: batchId,
            tenant: request.tenant,
            metadata,
            webhookUrl: webhook_url ?? null,
            maxCostUsd: request.body.max_cost_usd ?? null,
          },
          records.length,
          createdAt,
        ),
        jobs: records,
        requestId: request.id,
        ...(idemKey
          ? {
              idempotency: { key: idemKey, fingerprint, ttlSeconds: config.idempotency.ttlSeconds },
            }
          : {}),
      });
      let answer: { status?: number; headers?: Record<string, string>; body?: unknown } | null;
      if (outcome.kind === 'new') {
        answer = outcome.answer;
        request.log.info(
          { batchId, tenant: request.tenant, jobs: records.length },
          'batch accepted',
        );
      } else {
        const { stored } = outcome;
        if (stored.fingerprint !== fingerprint) {
          throw conflict('this Idempotency-Key was used with a different request body');
        }
        // Still accepting (its request died, or is still running): finish it here, so a retry
        // gets the same batch at once instead of a 409.
        answer =
          stored.state === 'done'
            ? stored
            : await accepting.rollForward(request.tenant, stored.batchId);
        if (!answer) throw conflict('this Idempotency-Key names a batch that no longer exists');
        reply.header('idempotent-replayed', 'true');
      }
      return reply
        .code(202)
        .headers(answer.headers ?? {})
        .send(answer.body as Batch);
    },
  );

  fastify.get(
    '/v1/batches/:id',
    { schema: { params: BatchParams, response: { 200: Batch } } },
    async (request) => {
      const record = await load(request.tenant, request.params.id);
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
      const { tenant } = request;
      const batch = await load(tenant, request.params.id);
      const { status, limit = 100 } = request.query;
      let position = Number(request.query.cursor ?? 0);
      const found: JobRecord[] = [];
      const scanEnd = position + (status ? SCAN_PER_PAGE : limit);
      while (found.length < limit && position < batch.counts.total && position < scanEnd) {
        const count = Math.min(status ? 500 : limit - found.length, scanEnd - position);
        const ids = await fastify.batchStore.jobIds(tenant, batch.id, position, count);
        if (ids.length === 0) break;
        let taken = 0;
        for (const job of await loadJobs(tenant, ids)) {
          taken = ids.indexOf(job.id) + 1;
          if (!status || job.status === status) found.push(job);
          if (found.length === limit) break;
        }
        position += found.length === limit ? taken : ids.length;
      }
      return {
        data: await Promise.all(found.map((job) => toJobView(job, fastify.storage))),
        next_cursor: position < batch.counts.total ? String(position) : null,
      };
    },
  );

  fastify.post(
    '/v1/batches/:id/cancel',
    { schema: { params: BatchParams, response: { 200: Batch } } },
    async (request) => {
      const { tenant } = request;
      const batch = await load(tenant, request.params.id);
      if (batch.status === 'completed' || batch.status === 'canceled') {
        throw conflict(`the batch is already ${batch.status}; there is nothing left to cancel`);
      }
      await fastify.batchStore.markCancelRequested(tenant, batch.id);
      let canceled = 0;
      for (let start = 0; start < batch.counts.total; start += 500) {
        const ids = await fastify.batchStore.jobIds(tenant, batch.id, start, 500);
        const open = (await loadJobs(tenant, ids)).filter(
          (job) => job.status === 'queued' || job.status === 'running',
        );
        canceled += (await cancelJobs(fastify, open, fastify.onJobFinished)).length;
      }
      request.log.info({ batchId: batch.id, tenant, canceled }, 'batch canceled');
      return toBatchView(await load(tenant, batch.id));
    },
  );
};

export default batches;
