import {
  BATCH_RECORD,
  type BatchRecord,
  JOB_RECORD,
  type JobRecord,
  type NewJob,
  newBatchRecord,
  newJobRecord,
  redisKeys,
} from '@imagen-queue/contract';
import type { Redis } from 'ioredis';
import type { RedisClient } from './redis.ts';

export interface NewBatch {
  id: string;
  tenant: string;
  metadata: Record<string, unknown>;
  webhookUrl: string | null;
  maxCostUsd?: number | null;
  /** Each job's `batchId` must be this batch's id. */
  jobs: NewJob[];
}

export interface BatchStore {
  /** Writes the batch, its job records and its job list in one MULTI: all of it or none. */
  create(batch: NewBatch): Promise<{ batch: BatchRecord; jobs: JobRecord[] }>;
  get(tenant: string, id: string): Promise<BatchRecord | null>;
  /** Job ids in submission order, `start` to `start + count - 1`. */
  jobIds(tenant: string, id: string, start: number, count: number): Promise<string[]>;
  /** Undoes `create` for a batch that could not be enqueued. */
  remove(tenant: string, id: string, jobIds: string[]): Promise<void>;
  /** Marks the batch so that its completion, once every job is terminal, reads `canceled`. */
  markCancelRequested(tenant: string, id: string): Promise<void>;
}

export function createBatchStore(redis: RedisClient, options: { prefix: string }): BatchStore {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  return {
    async create({ id, tenant, metadata, webhookUrl, jobs, maxCostUsd = null }) {
      const createdAt = new Date().toISOString();
      const batch = newBatchRecord(
        { id, tenant, metadata, webhookUrl, maxCostUsd },
        jobs.length,
        createdAt,
      );
      const records = jobs.map((job) => newJobRecord(job, createdAt));
      const multi = client.multi();
      multi.hset(keys.batch(tenant, id), { ...BATCH_RECORD.encode(batch), cancel_requested: '0' });
      for (const record of records)
        multi.hset(keys.job(tenant, record.id), JOB_RECORD.encode(record));
      for (let i = 0; i < records.length; i += 1000) {
        multi.rpush(keys.batchJobs(tenant, id), ...records.slice(i, i + 1000).map((r) => r.id));
      }
      await multi.exec();
      return { batch, jobs: records };
    },
    async get(tenant, id) {
      const hash = await client.hgetall(keys.batch(tenant, id));
      if (!hash.id || hash.tenant !== tenant) return null;
      return BATCH_RECORD.decode(hash);
    },
    jobIds(tenant, id, start, count) {
      return client.lrange(keys.batchJobs(tenant, id), start, start + count - 1);
    },
    async remove(tenant, id, jobIds) {
      const multi = client.multi();
      multi.del(keys.batch(tenant, id), keys.batchJobs(tenant, id), keys.batchEvents(tenant, id));
      for (const jobId of jobIds) multi.del(keys.job(tenant, jobId));
      await multi.exec();
    },
    async markCancelRequested(tenant, id) {
      await client.hset(keys.batch(tenant, id), 'cancel_requested', '1');
    },
  };
}
