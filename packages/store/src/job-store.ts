import {
  JOB_RECORD,
  type JobError,
  type JobRecord,
  type JobStatus,
  type NewJob,
  newJobRecord,
  packResult,
  type RedisKeys,
  redisKeys,
  type StoredResult,
  splitField,
  TERMINAL_STATUSES,
} from '@imagen-queue/contract';
import type { Redis } from 'ioredis';
import { createOutboxTenants } from './outbox-tenants.ts';
import type { RedisWrites } from './queue-pipeline.ts';
import { fieldsOf, type RedisClient } from './redis.ts';
import { defineScripts } from './scripts.ts';

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
  /** A terminal change's webhook event, recorded by the same script when the change applies. */
  event?: TransitionEvent;
  /** Written with a terminal change when it applies: the image cache's entry for this job. */
  cacheEntry?: { key: string; value: string; ttlSeconds: number };
}

/**
 * The webhook event a terminal change owes, recorded with it (one round trip instead of four).
 * Recorded only when the change is the job's `terminalCount`-th terminal one, the count the id
 * names; otherwise `TransitionOutcome.event` is `caller` and the dispatcher records it.
 */
export interface TransitionEvent {
  terminalCount: number;
  id: string;
  type: string;
  /** The job's own webhook URL; null = its batch's, read by the script. */
  url: string | null;
  /** The event's hash key (`keys.webhookEvent`). */
  key: string;
  /**
   * When the caller makes the event's first delivery attempt itself (`FirstAttempt`): the
   * outbox entry comes due this much later, once that attempt is surely over.
   */
  outboxDelayMs?: number;
}

/**
 * What became of a change's `event`: `caller` = not recorded (no event asked, or another
 * terminal count): the caller's dispatcher records it; `owed` = recorded and still to be
 * delivered (enqueue it); `settled` = it existed and is no longer pending; `none` = no URL.
 */
export type TransitionEventState = 'caller' | 'owed' | 'settled' | 'none';

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
  /** Only when the change carried an `event`: what became of it. */
  event?: TransitionEventState;
  /**
   * When this very change recorded its `event`: the job's record and the event's fields as
   * they now stand, for the event's first delivery attempt (`jobEventFrom`).
   */
  recorded?: { record: JobRecord; eventFields: Record<string, string> };
}

const EVENT_STATES: TransitionEventState[] = ['caller', 'owed', 'settled', 'none'];

interface TransitionScripts {
  transition(...args: string[]): Promise<[number, number, number]>;
  transitionWithEvent(
    ...args: string[]
  ): Promise<[number, number, number, number, string[]?, string[]?]>;
}

export interface JobStoreOptions {
  prefix: string;
  /** How long a finished job stays readable. */
  retentionSeconds: number;
}

export function createJobStore(redis: RedisClient, options: JobStoreOptions): JobStore {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  const scripts = defineScripts<TransitionScripts>(redis, {
    transition: { file: 'transition', keys: 6 },
    // The same script with the event's and the cache entry's keys.
    transitionWithEvent: { file: 'transition', keys: 9 },
  });
  const outboxTenants = createOutboxTenants(client, keys);

  return {
    keys,
    async create(job) {
      const record = newJobRecord(job);
      await client.hset(keys.job(job.tenant, job.id), JOB_RECORD.encode(record));
      return record;
    },
    stageCreate(writes, record) {
      writes.hset(keys.job(record.tenant, record.id), JOB_RECORD.encode(record));
    },
    async get(tenant, id) {
      const hash = await client.hgetall(keys.job(tenant, id));
      if (!hash.id || hash.tenant !== tenant) return null;
      return JOB_RECORD.decode(hash);
    },
    async remove(tenant, id) {
      await client.del(keys.job(tenant, id));
    },
    async transition(tenant, id, change) {
      const now = new Date().toISOString();
      // The changed fields, named as the record stores them; an empty value deletes a field.
      const field = JOB_RECORD.fields;
      const fields: Record<string, string> = {};
      const terminal = TERMINAL_STATUSES.includes(change.to);
      if (change.startedAt) fields[field.startedAt.name] = change.startedAt;
      if (change.error !== undefined) fields[field.error.name] = JSON.stringify(change.error);
      fields[field.finishedAt.name] = terminal ? now : '';
      const batchId =
        change.batchId !== undefined
          ? change.batchId
          : (await client.hmget(keys.job(tenant, id), field.batchId.name))[0];
      if (change.result !== undefined) {
        const packed = change.result
          ? packResult(change.result, { tenant, batchId: batchId ?? null, id })
          : '';
        // The first unused chunk field is named, empty: the script deletes it and the chunks
        // after it, so a shorter result (or none, a retried job's) leaves no stale chunk behind.
        Object.assign(fields, splitField(field.result.name, packed, true));
      }
      if (terminal) await outboxTenants.ensure(tenant);
      const keyArgs = [
        keys.job(tenant, id),
        keys.jobEvents(tenant, id),
        // Without a batch, keys that exist nowhere but still hash to the tenant's slot: an empty
        // key name would hash to slot 0, and a Cluster refuses the script (CROSSSLOT).
        keys.batch(tenant, batchId ?? '-'),
        keys.batchJobs(tenant, batchId ?? '-'),
        keys.batchEvents(tenant, batchId ?? '-'),
        keys.outbox(tenant),
      ];
      const args = [
        change.to,
        JSON.stringify(change.from),
        JSON.stringify(fields),
        String(options.retentionSeconds),
        String((change.countAttempt ? 1 : 0) - (change.uncountAttempt ? 1 : 0)),
        now,
        batchId ? '1' : '0',
        String(Date.now() + (change.event?.outboxDelayMs ?? 0)),
      ];
      if (!change.event && !change.cacheEntry) {
        const [applied, terminalCount, batchCompletion] = await scripts.transition(
          ...keyArgs,
          ...args,
        );
        return { applied: applied === 1, terminalCount, batchCompletion };
      }
      const { event, cacheEntry } = change;
      const [applied, terminalCount, batchCompletion, recorded, jobFlat, eventFlat] =
        await scripts.transitionWithEvent(
          ...keyArgs,
          event?.key ?? keys.webhookEvent(tenant, '-'),
          keys.batchWebhooks(tenant, batchId ?? '-'),
          cacheEntry?.key ?? keys.imageCache(tenant, '-'),
          ...args,
          event ? String(event.terminalCount) : '',
          event?.type ?? '',
          event?.id ?? '',
          event?.url ?? '',
          cacheEntry?.value ?? '',
          String(cacheEntry?.ttlSeconds ?? 0),
        );
      return {
        applied: applied === 1,
        terminalCount,
        batchCompletion,
        ...(event ? { event: EVENT_STATES[recorded] ?? 'caller' } : {}),
        ...(jobFlat && eventFlat
          ? {
              recorded: {
                record: JOB_RECORD.decode(fieldsOf(jobFlat)),
                eventFields: fieldsOf(eventFlat),
              },
            }
          : {}),
      };
    },
  };
}
