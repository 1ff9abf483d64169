import type { Redis } from 'ioredis';
import type { RedisClient } from './redis.ts';
import type { GenerationParams } from './schemas/generation.ts';
import type { JobError, JobStatus, StoredResult } from './schemas/job.ts';
import { TERMINAL_STATUSES } from './schemas/job.ts';

/** A job as stored: the Redis hash behind `GET /v1/jobs/{id}`. */
export interface JobRecord {
  id: string;
  tenant: string;
  batchId: string | null;
  status: JobStatus;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  request: GenerationParams;
  metadata: Record<string, unknown>;
  webhookUrl: string | null;
  priority: number;
  result: StoredResult | null;
  error: JobError | null;
}

export type NewJob = Pick<
  JobRecord,
  'id' | 'tenant' | 'batchId' | 'request' | 'metadata' | 'webhookUrl' | 'priority'
>;

export interface TransitionChange {
  /** The states the job may be in for the change to apply; anything else is a no-op. */
  from: readonly JobStatus[];
  to: JobStatus;
  startedAt?: string;
  result?: StoredResult;
  error?: JobError | null;
  /** Count a new attempt (moving to `running`). */
  countAttempt?: boolean;
}

// One script so the status check, the record update and the batch counters move together:
// a stalled job finished twice, or a cancel racing a finish, changes the counts once.
const TRANSITION = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return -1 end
local allowed = cjson.decode(ARGV[2])
local ok = false
for _, s in ipairs(allowed) do if s == status then ok = true end end
if not ok then return 0 end
local fields = cjson.decode(ARGV[3])
for k, v in pairs(fields) do redis.call('HSET', KEYS[1], k, v) end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
if ARGV[5] == '1' then redis.call('HINCRBY', KEYS[1], 'attempts', 1) end
if KEYS[2] ~= KEYS[1] and status ~= ARGV[1] then
  redis.call('HINCRBY', KEYS[2], status, -1)
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
end
if ARGV[4] ~= '0' then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
else
  redis.call('PERSIST', KEYS[1])
end
return 1
`;

export interface JobStore {
  create(job: NewJob): Promise<JobRecord>;
  get(tenant: string, id: string): Promise<JobRecord | null>;
  /** Forgets a job that was never accepted (its enqueue failed). */
  remove(tenant: string, id: string): Promise<void>;
  /** Applies the change when the job is in one of `from`; true when it did. */
  transition(tenant: string, id: string, change: TransitionChange): Promise<boolean>;
}

export interface JobStoreOptions {
  prefix: string;
  /** How long a finished job stays readable. */
  retentionSeconds: number;
}

/** Keys carry the tenant as their hash tag: one tenant can never address another's jobs. */
export function jobKeys(prefix: string) {
  return {
    job: (tenant: string, id: string) => `${prefix}:{t:${tenant}}:job:${id}`,
    batch: (tenant: string, id: string) => `${prefix}:{t:${tenant}}:batch:${id}`,
  };
}

export function createJobStore(redis: RedisClient, options: JobStoreOptions): JobStore {
  const keys = jobKeys(options.prefix);
  const client = redis as Redis;

  return {
    async create(job) {
      const record: JobRecord = {
        ...job,
        status: 'queued',
        attempts: 0,
        createdAt: new Date().toISOString(),
        startedAt: null,
        finishedAt: null,
        result: null,
        error: null,
      };
      await client.hset(keys.job(job.tenant, job.id), serialize(record));
      return record;
    },
    async get(tenant, id) {
      const hash = await client.hgetall(keys.job(tenant, id));
      if (!hash.id || hash.tenant !== tenant) return null;
      return deserialize(hash);
    },
    async remove(tenant, id) {
      await client.del(keys.job(tenant, id));
    },
    async transition(tenant, id, change) {
      const now = new Date().toISOString();
      const fields: Record<string, string> = {};
      const terminal = TERMINAL_STATUSES.includes(change.to);
      if (change.startedAt) fields.started_at = change.startedAt;
      if (change.result) fields.result = JSON.stringify(change.result);
      if (change.error !== undefined) fields.error = JSON.stringify(change.error);
      fields.finished_at = terminal ? now : '';
      const jobKey = keys.job(tenant, id);
      const record = await client.hmget(jobKey, 'batch_id');
      const batchId = record[0];
      const applied = (await client.eval(
        TRANSITION,
        2,
        jobKey,
        batchId ? keys.batch(tenant, batchId) : jobKey,
        change.to,
        JSON.stringify(change.from),
        JSON.stringify(fields),
        terminal ? String(options.retentionSeconds) : '0',
        change.countAttempt ? '1' : '0',
      )) as number;
      return applied === 1;
    },
  };
}

function serialize(record: JobRecord): Record<string, string> {
  return {
    id: record.id,
    tenant: record.tenant,
    batch_id: record.batchId ?? '',
    status: record.status,
    attempts: String(record.attempts),
    created_at: record.createdAt,
    started_at: record.startedAt ?? '',
    finished_at: record.finishedAt ?? '',
    request: JSON.stringify(record.request),
    metadata: JSON.stringify(record.metadata),
    webhook_url: record.webhookUrl ?? '',
    priority: String(record.priority),
    result: JSON.stringify(record.result),
    error: JSON.stringify(record.error),
  };
}

function deserialize(hash: Record<string, string>): JobRecord {
  return {
    id: hash.id!,
    tenant: hash.tenant!,
    batchId: hash.batch_id || null,
    status: hash.status as JobStatus,
    attempts: Number(hash.attempts ?? 0),
    createdAt: hash.created_at!,
    startedAt: hash.started_at || null,
    finishedAt: hash.finished_at || null,
    request: JSON.parse(hash.request!),
    metadata: JSON.parse(hash.metadata ?? '{}'),
    webhookUrl: hash.webhook_url || null,
    priority: Number(hash.priority ?? 0),
    result: JSON.parse(hash.result ?? 'null'),
    error: JSON.parse(hash.error ?? 'null'),
  };
}
