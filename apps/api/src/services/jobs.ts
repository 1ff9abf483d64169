import {
  type GenerationParams,
  type JobControl,
  type JobRecord,
  newId,
  newJobRecord,
} from '@imagen-queue/contract';
import { type Config, faultPoint, type Tracing } from '@imagen-queue/shared';
import {
  type JobStore,
  type ListIndex,
  publishCancels,
  type RedisClient,
  type RequestCount,
  type RequestCounted,
  RequestLimitExceeded,
  type TransitionOutcome,
} from '@imagen-queue/store';
import type { Queue } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import { enqueueAll } from '../lib/enqueue.ts';
import { conflict, notFound } from '../lib/problem-error.ts';
import { limitProblem } from '../lib/request-limit.ts';

/** Called after a terminal transition the API applied (a cancel): metrics, webhook events. */
export type FinishedHook = (job: JobRecord, outcome: TransitionOutcome) => Promise<void>;

export interface JobSpec {
  tenant: string;
  request: GenerationParams;
  metadata: Record<string, unknown>;
  webhookUrl: string | null;
  priority: number;
  requestId: string;
  control?: JobControl;
  /** The request counted against its tenant's limit in the call that reserves its position. */
  count?: RequestCount;
}

export interface JobServiceDeps {
  config: Config;
  redis: RedisClient;
  queue: Queue;
  jobStore: JobStore;
  listIndex: ListIndex;
  tracing: Tracing;
  log: FastifyBaseLogger;
  onFinished: FinishedHook;
}

/** What the API does to jobs: submit, read, cancel and retry them. The routes only speak HTTP. */
export function createJobService(deps: JobServiceDeps) {
  const { config, jobStore, queue } = deps;

  /** The job, or a 404 (another tenant's job is not found either). */
  const get = async (tenant: string, id: string): Promise<JobRecord> => {
    const record = await jobStore.get(tenant, id);
    if (!record) throw notFound('job');
    return record;
  };

  /** The jobs that exist of `ids`, in their order. */
  const getMany = async (tenant: string, ids: string[]): Promise<JobRecord[]> =>
    (await Promise.all(ids.map((id) => jobStore.get(tenant, id)))).filter(
      (job): job is JobRecord => job !== null,
    );

  /**
   * Cancels jobs that are still queued or running. The record changes first (one Lua transition
   * each, so a cancel racing a finish counts once); then a queued job leaves BullMQ, and the
   * worker running a running one is told to abort it. Returns the jobs actually canceled.
   */
  const cancelMany = async (jobs: JobRecord[]): Promise<JobRecord[]> => {
    const canceled: JobRecord[] = [];
    const running: string[] = [];
    await Promise.all(
      jobs.map(async (job) => {
        const outcome = await jobStore.transition(job.tenant, job.id, {
          from: ['queued', 'running'],
          to: 'canceled',
          error: { code: 'canceled', message: 'canceled by the client', retryable: false },
          batchId: job.batchId,
        });
        if (!outcome.applied) return;
        faultPoint('cancel-after-transition');
        canceled.push({ ...job, status: 'canceled' });
        // An active job is locked by its worker and cannot be removed; the worker is told instead.
        const removed = await queue.remove(job.id).catch(() => 0);
        if (!removed) running.push(job.id);
        // The job is canceled whatever happens to its event: a failed enqueue is logged, and
        // must not keep the running jobs below from being told to stop.
        await deps
          .onFinished({ ...job, status: 'canceled' }, outcome)
          .catch((error: unknown) =>
            deps.log.error({ err: error, jobId: job.id }, 'could not enqueue the cancel event'),
          );
      }),
    );
    if (running.length > 0) await publishCancels(deps.redis, config.redis.prefix, running);
    return canceled;
  };

  return {
    get,
    getMany,
    cancelMany,

    /**
     * Writes one job's record and queues it; a job that could not be queued leaves no record.
     * Two round trips, two commands: the fair-share reservation, which also counts the request
     * (over the limit it is a 429 and nothing is written) and, once admitted, writes the record
     * and its list entry; then BullMQ's add. So the record exists before its job is queued, and
     * an id whose job is then rolled back is dropped by the list's reader. On a Cluster, where
     * the record is in another slot than the queue, the record and list entry go with the add,
     * ahead of it, instead.
     */
    async submit(spec: JobSpec): Promise<{ record: JobRecord; counted?: RequestCounted }> {
      const record = newJobRecord({
        id: newId('job'),
        tenant: spec.tenant,
        batchId: null,
        request: spec.request,
        metadata: spec.metadata,
        webhookUrl: spec.webhookUrl,
        priority: spec.priority,
        ...(spec.control ? { control: spec.control } : {}),
      });
      try {
        const counted = await enqueueAll(queue, config, [record], spec.requestId, {
          tracing: deps.tracing,
          stage: (writes) => {
            jobStore.stageCreate(writes, record);
            deps.listIndex.stageAdd(writes, record.tenant, 'jobs', [record.id]);
          },
          ...(spec.count ? { count: spec.count } : {}),
        });
        return counted ? { record, counted } : { record };
      } catch (error) {
        if (error instanceof RequestLimitExceeded) throw limitProblem(error);
        await jobStore.remove(record.tenant, record.id).catch(() => {});
        throw error;
      }
    },

    /** Cancels a queued or running job; a finished one is a 409. Returns it as it is now. */
    async cancel(tenant: string, id: string): Promise<JobRecord> {
      const [canceled] = await cancelMany([await get(tenant, id)]);
      const now = await get(tenant, id);
      if (!canceled) {
        throw conflict(
          `the job already finished (${now.status}); only a queued or running job can be canceled`,
        );
      }
      return now;
    },

    /**
     * Queues a failed or canceled job again, as a new run of the same job (its terminal event
     * counts anew). When it cannot be queued the record is put back as it was, so the retry
     * can be asked again.
     */
    async retry(tenant: string, id: string, requestId: string): Promise<JobRecord> {
      const record = await get(tenant, id);
      if (record.status !== 'failed' && record.status !== 'canceled') {
        throw conflict(
          `only a failed or canceled job can be retried; this one is ${record.status}`,
        );
      }
      // The finished BullMQ job still holds the id; a canceled one may still be stopping.
      const previous = await queue.getJob(record.id);
      if (previous) {
        const removed = await previous.remove().then(
          () => true,
          () => false,
        );
        if (!removed) throw conflict('the job is still stopping; retry in a few seconds');
      }
      const outcome = await jobStore.transition(tenant, id, {
        from: ['failed', 'canceled'],
        to: 'queued',
        result: null,
        error: null,
        batchId: record.batchId,
      });
      if (!outcome.applied) throw conflict('the job changed meanwhile; read it and try again');
      try {
        await enqueueAll(queue, config, [record], requestId, { tracing: deps.tracing });
      } catch (error) {
        await jobStore
          .transition(tenant, id, {
            from: ['queued'],
            to: record.status,
            result: record.result,
            error: record.error,
            batchId: record.batchId,
          })
          .catch(() => {});
        throw error;
      }
      return get(tenant, id);
    },
  };
}
export type JobService = ReturnType<typeof createJobService>;
