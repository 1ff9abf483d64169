import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { type JobControl, parseControl, serializeControl } from './control/control.ts';
import { type RedisKeys, redisKeys } from './keys.ts';
import { createOutboxTenants } from './outbox-tenants.ts';
import type { RedisWrites } from './queue-pipeline.ts';
import type { RedisClient } from './redis.ts';
import type { GenerationParams } from './schemas/generation.ts';
import type { JobError, JobStatus, StoredResult } from './schemas/job.ts';
import { TERMINAL_STATUSES } from './schemas/job.ts';
import { type JobUsage, jobUsageFromHash } from './usage/usage.ts';

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
  /** Kept by the usage store (`record-usage.lua`), never by a transition. */
  usage?: JobUsage;
  /** Deadline and cache choice; absent = start whenever, cache allowed. */
  control?: JobControl;
}

export type NewJob = Pick<
  JobRecord,
  'id' | 'tenant' | 'batchId' | 'request' | 'metadata' | 'webhookUrl' | 'priority' | 'control'
>;

export interface TransitionChange {
  /** The states the job may be in for the change to apply; anything else is a no-op. */
  from: readonly JobStatus[];
  to: JobStatus;
  startedAt?: string;
  /** `null` clears a previous result (a retried job). */
  result?: StoredResult | null;
  error?: JobError | null;
  /** Count a new attempt (moving to `running`). */
  countAttempt?: boolean;
  /** Take back the attempt just counted: a 429 does not use one of the job's attempts. */
  uncountAttempt?: boolean;
  /** The job's batch, when the caller has read the record already (saves a round trip). */
  batchId?: string | null;
}

export interface JobStore {
  create(job: NewJob): Promise<JobRecord>;
  /** `create`'s write of a `newJobRecord`, queued with the job's enqueue (`addBulkWith`). */
  stageCreate(writes: RedisWrites, record: JobRecord): void;
  get(tenant: string, id: string): Promise<JobRecord | null>;
  /** Forgets a job that was never accepted (its enqueue failed). */
  remove(tenant: string, id: string): Promise<void>;
  /** Applies the change when the job is in one of `from`; see `TransitionOutcome`. */
  transition(tenant: string, id: string, change: TransitionChange): Promise<TransitionOutcome>;
  keys: RedisKeys;
}

export interface TransitionOutcome {
  applied: boolean;
  /**
   * How many times this job has reached a terminal state, counting this change (0 when the
   * change is not terminal). A retried job's next finish is a new event: `job id + count`
   * names each terminal event exactly once.
   */
  terminalCount: number;
  /** Non-zero when this change completed the job's batch: the how-manyth completion it is. */
  batchCompletion: number;
}

const TRANSITION_LUA = readFileSync(new URL('./lua/transition.lua', import.meta.url), 'utf8');

interface TransitionCommand {
  iqTransition(...args: string[]): Promise<[number, number, number]>;
}

export interface JobStoreOptions {
  prefix: string;
  /** How long a finished job stays readable. */
  retentionSeconds: number;
}

export function createJobStore(redis: RedisClient, options: JobStoreOptions): JobStore {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  if (!('iqTransition' in client)) {
    client.defineCommand('iqTransition', { numberOfKeys: 6, lua: TRANSITION_LUA });
  }
  const transitionCommand = client as unknown as TransitionCommand;
  const outboxTenants = createOutboxTenants(client, keys);

  return {
    keys,
    async create(job) {
      const record = newJobRecord(job);
      await client.hset(keys.job(job.tenant, job.id), serializeJob(record));
      return record;
    },
    stageCreate(writes, record) {
      writes.hset(keys.job(record.tenant, record.id), serializeJob(record));
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
      if (change.result !== undefined) fields.result = JSON.stringify(change.result);
      if (change.error !== undefined) fields.error = JSON.stringify(change.error);
      fields.finished_at = terminal ? now : '';
      const batchId =
        change.batchId !== undefined
          ? change.batchId
          : (await client.hmget(keys.job(tenant, id), 'batch_id'))[0];
      if (terminal) await outboxTenants.ensure(tenant);
      const [applied, terminalCount, batchCompletion] = await transitionCommand.iqTransition(
        keys.job(tenant, id),
        keys.jobEvents(tenant, id),
        // Without a batch, keys that exist nowhere but still hash to the tenant's slot: an empty
        // key name would hash to slot 0, and a Cluster refuses the script (CROSSSLOT).
        keys.batch(tenant, batchId ?? '-'),
        keys.batchJobs(tenant, batchId ?? '-'),
        keys.batchEvents(tenant, batchId ?? '-'),
        keys.outbox(tenant),
        change.to,
        JSON.stringify(change.from),
        JSON.stringify(fields),
        String(options.retentionSeconds),
        String((change.countAttempt ? 1 : 0) - (change.uncountAttempt ? 1 : 0)),
        now,
        batchId ? '1' : '0',
        String(Date.now()),
      );
      return { applied: applied === 1, terminalCount, batchCompletion };
    },
  };
}

/** A new job as `create` stores it: queued, no attempt yet. */
export function newJobRecord(job: NewJob): JobRecord {
  return {
    ...job,
    status: 'queued',
    attempts: 0,
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    result: null,
    error: null,
  };
}

export function serializeJob(record: JobRecord): Record<string, string> {
  const control = serializeControl(record.control);
  return {
    ...(control ? { control } : {}),
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
    usage: jobUsageFromHash(hash),
    control: parseControl(hash.control),
  };
}
