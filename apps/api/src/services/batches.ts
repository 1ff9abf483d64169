import {
  type BatchRecord,
  type GenerationParams,
  type JobControl,
  type JobRecord,
  type JobStatus,
  newBatchRecord,
  newId,
  newJobRecord,
} from '@imagen-queue/contract';
import type { Config, Tracing } from '@imagen-queue/shared';
import {
  type BatchStore,
  createBatchAccepting,
  createBudgetStore,
  type RedisClient,
  startAcceptSweeper,
} from '@imagen-queue/store';
import type { Queue } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import { checkBatchBudget } from '../lib/estimate-cost.ts';
import { conflict, notFound } from '../lib/problem-error.ts';
import type { JobService } from './jobs.ts';

/** How many list entries one page may read past while looking for a `status` match. */
const SCAN_PER_PAGE = 5000;

export interface BatchSpec {
  tenant: string;
  /** Every line validated and normalized already. */
  params: GenerationParams[];
  metadata: Record<string, unknown>;
  webhookUrl: string | null;
  maxCostUsd: number | null;
  control: JobControl;
  requestId: string;
  idempotency: { key: string; fingerprint: string } | null;
}

/** The answer a batch submission gets, stored with the batch so that a replay gets it again. */
export interface BatchAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface BatchServiceDeps {
  config: Config;
  redis: RedisClient;
  queue: Queue;
  batchStore: BatchStore;
  jobs: JobService;
  tracing: Tracing;
  log: FastifyBaseLogger;
}

/** What the API does to batches: accept, read, page and cancel them. */
export function createBatchService(deps: BatchServiceDeps) {
  const { config, batchStore, jobs } = deps;
  const budgets = createBudgetStore(deps.redis, { prefix: config.redis.prefix });
  const accepting = createBatchAccepting({
    connection: deps.redis,
    prefix: config.redis.prefix,
    config,
    queue: deps.queue,
    tracing: deps.tracing,
  });
  // Batches whose accepting process died are finished by any API (and worker) within the bound.
  const sweeper = startAcceptSweeper(accepting, (error) =>
    deps.log.warn({ err: error }, 'accepting sweep failed'),
  );

  const get = async (tenant: string, id: string): Promise<BatchRecord> => {
    const record = await batchStore.get(tenant, id);
    if (!record) throw notFound('batch');
    return record;
  };

  return {
    get,

    /**
     * Records and queues a batch, all of it or none, within the caps; or, for an
     * Idempotency-Key seen before with the same request, the first answer again (finishing
     * that batch's acceptance first when its request died midway).
     */
    async submit(spec: BatchSpec): Promise<{ answer: BatchAnswer; replayed: boolean }> {
      await checkBatchBudget(budgets, config, spec.params, spec.maxCostUsd ?? undefined);
      const batchId = newId('bat');
      const createdAt = new Date().toISOString();
      const records = spec.params.map((request) =>
        newJobRecord(
          {
            id: newId('job'),
            tenant: spec.tenant,
            batchId,
            request,
            metadata: {},
            webhookUrl: null,
            priority: 0,
            control: spec.control,
          },
          createdAt,
        ),
      );
      const { idempotency } = spec;
      const outcome = await accepting.accept({
        batch: newBatchRecord(
          {
            id: batchId,
            tenant: spec.tenant,
            metadata: spec.metadata,
            webhookUrl: spec.webhookUrl,
            maxCostUsd: spec.maxCostUsd,
          },
          records.length,
          createdAt,
        ),
        jobs: records,
        requestId: spec.requestId,
        ...(idempotency
          ? { idempotency: { ...idempotency, ttlSeconds: config.idempotency.ttlSeconds } }
          : {}),
      });
      if (outcome.kind === 'new') return { answer: outcome.answer, replayed: false };
      const { stored } = outcome;
      if (stored.fingerprint !== idempotency?.fingerprint) {
        throw conflict('this Idempotency-Key was used with a different request body');
      }
      // Still accepting (its request died, or is still running): finish it here, so a retry
      // gets the same batch at once instead of a 409.
      const answer =
        stored.state === 'done' ? stored : await accepting.rollForward(spec.tenant, stored.batchId);
      if (!answer) throw conflict('this Idempotency-Key names a batch that no longer exists');
      return { answer, replayed: true };
    },

    /**
     * One page of the batch's jobs in submission order, from `cursor` (a position in the job
     * list), only those in `status` when given; a page reads at most `SCAN_PER_PAGE` entries
     * looking for matches, so a sparse status may give short pages with a cursor.
     */
    async jobsPage(
      tenant: string,
      id: string,
      query: { status?: JobStatus; limit: number; cursor: number },
    ): Promise<{ jobs: JobRecord[]; nextCursor: number | null }> {
      const batch = await get(tenant, id);
      const { status, limit } = query;
      let position = query.cursor;
      const found: JobRecord[] = [];
      const scanEnd = position + (status ? SCAN_PER_PAGE : limit);
      while (found.length < limit && position < batch.counts.total && position < scanEnd) {
        const count = Math.min(status ? 500 : limit - found.length, scanEnd - position);
        const ids = await batchStore.jobIds(tenant, batch.id, position, count);
        if (ids.length === 0) break;
        let taken = 0;
        for (const job of await jobs.getMany(tenant, ids)) {
          taken = ids.indexOf(job.id) + 1;
          if (!status || job.status === status) found.push(job);
          if (found.length === limit) break;
        }
        position += found.length === limit ? taken : ids.length;
      }
      return { jobs: found, nextCursor: position < batch.counts.total ? position : null };
    },

    /**
     * Cancels every job still queued or running, 500 at a time, and marks the batch so that it
     * completes as `canceled`; a finished batch is a 409. Returns the batch as it is now.
     */
    async cancel(tenant: string, id: string): Promise<{ batch: BatchRecord; canceled: number }> {
      const batch = await get(tenant, id);
      if (batch.status === 'completed' || batch.status === 'canceled') {
        throw conflict(`the batch is already ${batch.status}; there is nothing left to cancel`);
      }
      await batchStore.markCancelRequested(tenant, batch.id);
      let canceled = 0;
      for (let start = 0; start < batch.counts.total; start += 500) {
        const ids = await batchStore.jobIds(tenant, batch.id, start, 500);
        const open = (await jobs.getMany(tenant, ids)).filter(
          (job) => job.status === 'queued' || job.status === 'running',
        );
        canceled += (await jobs.cancelMany(open)).length;
      }
      return { batch: await get(tenant, batch.id), canceled };
    },

    close: () => sweeper.stop(),
  };
}
export type BatchService = ReturnType<typeof createBatchService>;
