import type { Redis } from 'ioredis';
import type { JobRecord, NewJob } from './job-store.ts';
import { serializeJob } from './job-store.ts';
import { redisKeys } from './keys.ts';
import type { RedisClient } from './redis.ts';
import { type UsageTotals, usageTotalsFromHash } from './usage/usage.ts';

export const BATCH_STATUSES = ['queued', 'running', 'completed', 'canceled'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export interface BatchCounts {
  total: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  canceled: number;
}

/** A batch as stored; its counts are kept by every job transition, never by scanning. */
export interface BatchRecord {
  id: string;
  tenant: string;
  status: BatchStatus;
  counts: BatchCounts;
  createdAt: string;
  finishedAt: string | null;
  metadata: Record<string, unknown>;
  webhookUrl: string | null;
  /** How many times every job of the batch has been terminal (a retry reopens it). */
  completions: number;
  /** Summed by every call's `record-usage.lua`, like the counts. */
  usage?: UsageTotals;
  /** The batch's spend cap (USD), if it set one. */
  maxCostUsd?: number | null;
  /** Why jobs stopped being started: a cap was spent (`budget.lua`). */
  stopReason?: 'budget_exceeded' | null;
}

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
      const batch: BatchRecord = {
        id,
        tenant,
        status: 'queued',
        counts: {
          total: jobs.length,
          queued: jobs.length,
          running: 0,
          succeeded: 0,
          failed: 0,
          canceled: 0,
        },
        createdAt,
        finishedAt: null,
        metadata,
        webhookUrl,
        completions: 0,
        maxCostUsd,
        stopReason: null,
      };
      const records: JobRecord[] = jobs.map((job) => ({
        ...job,
        status: 'queued',
        attempts: 0,
        createdAt,
        startedAt: null,
        finishedAt: null,
        result: null,
        error: null,
      }));
      const multi = client.multi();
      multi.hset(keys.batch(tenant, id), {
        id,
        tenant,
        status: 'queued',
        ...Object.fromEntries(Object.entries(batch.counts).map(([k, v]) => [k, String(v)])),
        created_at: createdAt,
        finished_at: '',
        metadata: JSON.stringify(metadata),
        webhook_url: webhookUrl ?? '',
        completions: '0',
        cancel_requested: '0',
        ...(maxCostUsd !== null ? { max_cost_usd: String(maxCostUsd) } : {}),
      });
      for (const record of records) multi.hset(keys.job(tenant, record.id), serializeJob(record));
      for (let i = 0; i < records.length; i += 1000) {
        multi.rpush(keys.batchJobs(tenant, id), ...records.slice(i, i + 1000).map((r) => r.id));
      }
      await multi.exec();
      return { batch, jobs: records };
    },
    async get(tenant, id) {
      const hash = await client.hgetall(keys.batch(tenant, id));
      if (!hash.id || hash.tenant !== tenant) return null;
      const count = (field: string) => Number(hash[field] ?? 0);
      return {
        id: hash.id,
        tenant,
        status: hash.status as BatchStatus,
        counts: {
          total: count('total'),
          queued: count('queued'),
          running: count('running'),
          succeeded: count('succeeded'),
          failed: count('failed'),
          canceled: count('canceled'),
        },
        createdAt: hash.created_at!,
        finishedAt: hash.finished_at || null,
        metadata: JSON.parse(hash.metadata ?? '{}'),
        webhookUrl: hash.webhook_url || null,
        completions: count('completions'),
        usage: usageTotalsFromHash(hash),
        maxCostUsd: hash.max_cost_usd ? Number(hash.max_cost_usd) : null,
        stopReason: hash.budget_exhausted === '1' ? 'budget_exceeded' : null,
      };
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
