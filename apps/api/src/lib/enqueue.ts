import type { GenerateImagesPayload, JobRecord } from '@imagen-queue/contract';
import { type Config, generationJobOptions, noTracing, type Tracing } from '@imagen-queue/shared';
import {
  addBulkWith,
  createFairShare,
  type FairLane,
  type FairShare,
  type RedisClient,
  type RequestCount,
  type RequestCounted,
  type Stage,
} from '@imagen-queue/store';
import type { Queue } from 'bullmq';

export { generationJobOptions };

/** BullMQ's `addBulk` is one pipeline per call; this many jobs a call keeps each one short. */
const CHUNK = 1000;

const fairShares = new WeakMap<Queue, FairShare>();

/**
 * One `FairShare` per queue, on the connection the queue was made with (the API's, a Cluster
 * client when `REDIS_CLUSTER_NODES` is set): our queues are always given a client, not options.
 */
function fairShareOf(queue: Queue, config: Config): FairShare {
  let fair = fairShares.get(queue);
  if (!fair) {
    const connection = queue.opts.connection as unknown as RedisClient;
    if (typeof connection?.defineCommand !== 'function') {
      throw new Error('enqueueAll: the queue must be created with a Redis client');
    }
    fair = createFairShare(connection, { prefix: config.redis.prefix });
    fairShares.set(queue, fair);
  }
  return fair;
}

export interface EnqueueOptions {
  tracing?: Tracing;
  /**
   * The records' own writes: made by the call that admits the request when it is counted there
   * (on a single Redis), else sent in the first chunk's round trip, ahead of its jobs.
   */
  stage?: Stage;
  /**
   * The request that brings the records, counted against its tenant's limit by the call that
   * reserves their fair-share positions (one round trip for both). Over the limit, the call
   * throws `RequestLimitExceeded` and nothing is written.
   */
  count?: RequestCount;
}

/**
 * Queues every record, or none: chunks already added are removed again when a later one fails,
 * so a batch is never half accepted. Each record gets its tenant's next fair-share position
 * (records with a `priority` go to the tenant's express lane); the records of one call must
 * belong to one tenant, as every caller's do. Returns the request's count when it was counted.
 */
export async function enqueueAll(
  queue: Queue,
  config: Config,
  records: JobRecord[],
  requestId: string,
  { tracing = noTracing, stage, count }: EnqueueOptions = {},
): Promise<RequestCounted | undefined> {
  const tenant = records[0]?.tenant;
  if (tenant === undefined) return undefined;
  if (records.some((record) => record.tenant !== tenant)) {
    throw new Error('enqueueAll: records of more than one tenant');
  }
  const fair = fairShareOf(queue, config);
  const lanes = records.map((record): FairLane => (record.priority > 0 ? 'express' : 'normal'));
  let counted: RequestCounted | undefined;
  let priorities: number[];
  if (count) {
    const admitted = await fair.admit(tenant, lanes, count, stage);
    ({ priorities, counted } = admitted);
    if (admitted.staged) stage = undefined;
  } else {
    priorities = await fair.reserve(tenant, lanes);
  }
  const traces = jobTraces(tracing, records);
  const added: string[] = [];
  try {
    for (let i = 0; i < records.length; i += CHUNK) {
      const chunk = records.slice(i, i + CHUNK);
      await addBulkWith(
        queue,
        chunk.map((record, j) => ({
          name: 'generate-images' as const,
          data: {
            jobId: record.id,
            tenant: record.tenant,
            requestId,
          } satisfies GenerateImagesPayload,
          opts: {
            ...generationJobOptions(config, record, priorities[i + j]!),
            ...(traces.metadata[i + j] ? { telemetry: { metadata: traces.metadata[i + j] } } : {}),
          },
        })),
        i === 0 ? stage : undefined,
      );
      added.push(...chunk.map((record) => record.id));
    }
  } catch (error) {
    await Promise.allSettled(added.map((id) => queue.remove(id)));
    throw error;
  } finally {
    traces.end();
  }
  return counted;
}

/**
 * One trace per job. A lone job continues the request's trace (BullMQ carries the context
 * on); each job of a batch (or a retry) starts its own, linked to the request's span.
 */
function jobTraces(tracing: Tracing, records: JobRecord[]) {
  const [first] = records;
  if (records.length === 1 && first && !first.batchId) {
    tracing.tagTrace(first.id, null);
    return { metadata: [] as string[], end: () => {} };
  }
  const batchId = first?.batchId ?? '';
  tracing.tagTrace(null, batchId);
  return tracing.startJobTraces(
    records.map((record) => record.id),
    batchId,
  );
}
