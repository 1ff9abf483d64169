import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { type JobControl, parseControl, serializeControl } from './control/control.ts';
import { type RedisKeys, redisKeys } from './keys.ts';
import { createOutboxTenants } from './outbox-tenants.ts';
import type { RedisWrites } from './queue-pipeline.ts';
import type { RedisClient } from './redis.ts';
import type { GenerationParams } from './schemas/generation.ts';
import type { JobError, JobStatus, StoredImage, StoredResult } from './schemas/job.ts';
import { TERMINAL_STATUSES } from './schemas/job.ts';
import { imageKey } from './storage.ts';
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
  /** How many times the job has reached a terminal state; absent = never. */
  terminalCount?: number;
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
}

const EVENT_STATES: TransitionEventState[] = ['caller', 'owed', 'settled', 'none'];

const TRANSITION_LUA = readFileSync(new URL('./lua/transition.lua', import.meta.url), 'utf8');

interface TransitionCommand {
  iqTransition(...args: string[]): Promise<[number, number, number]>;
  iqTransitionEvent(...args: string[]): Promise<[number, number, number, number]>;
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
    // The same script with the event's and the cache entry's keys.
    client.defineCommand('iqTransitionEvent', { numberOfKeys: 9, lua: TRANSITION_LUA });
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
      return jobFromHash(hash);
    },
    async remove(tenant, id) {
      await client.del(keys.job(tenant, id));
    },
    async transition(tenant, id, change) {
      const now = new Date().toISOString();
      const fields: Record<string, string> = {};
      const terminal = TERMINAL_STATUSES.includes(change.to);
      if (change.startedAt) fields.started_at = change.startedAt;
      if (change.error !== undefined) fields.error = JSON.stringify(change.error);
      fields.finished_at = terminal ? now : '';
      const batchId =
        change.batchId !== undefined
          ? change.batchId
          : (await client.hmget(keys.job(tenant, id), 'batch_id'))[0];
      if (change.result !== undefined) {
        const packed = change.result
          ? packResult(change.result, { tenant, batchId: batchId ?? null, id })
          : '';
        // The first unused chunk field is named, empty: the script deletes it and the chunks
        // after it, so a shorter result (or none, a retried job's) leaves no stale chunk behind.
        Object.assign(fields, splitField('result', packed, true));
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
        const [applied, terminalCount, batchCompletion] = await transitionCommand.iqTransition(
          ...keyArgs,
          ...args,
        );
        return { applied: applied === 1, terminalCount, batchCompletion };
      }
      const { event, cacheEntry } = change;
      const [applied, terminalCount, batchCompletion, recorded] =
        await transitionCommand.iqTransitionEvent(
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
      };
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

/**
 * The record's fields as stored. A field at its default (no batch, not started, no result, no
 * metadata…) is left out, and `deserialize` reads its absence as the default: every field a
 * Redis hash holds costs about 70 bytes of its own, and most of a queued job's are empty.
 */
export function serializeJob(record: JobRecord): Record<string, string> {
  const control = serializeControl(record.control);
  const fields: Record<string, string> = {
    id: record.id,
    tenant: record.tenant,
    status: record.status,
    created_at: record.createdAt,
    ...splitField('request', JSON.stringify(record.request)),
  };
  if (control) fields.control = control;
  if (record.batchId) fields.batch_id = record.batchId;
  if (record.attempts !== 0) fields.attempts = String(record.attempts);
  if (record.startedAt) fields.started_at = record.startedAt;
  if (record.finishedAt) fields.finished_at = record.finishedAt;
  if (Object.keys(record.metadata).length > 0)
    Object.assign(fields, splitField('metadata', JSON.stringify(record.metadata)));
  if (record.webhookUrl) fields.webhook_url = record.webhookUrl;
  if (record.priority !== 0) fields.priority = String(record.priority);
  if (record.result) Object.assign(fields, splitField('result', packResult(record.result, record)));
  if (record.error) fields.error = JSON.stringify(record.error);
  return fields;
}

/**
 * Redis keeps a hash as a compact listpack while each value is at most `hash-max-listpack-value`
 * bytes (64 by default), and as a hash table, about 1 KB more for a finished job, once one is
 * longer. The long values, the request, the result and the metadata, are therefore stored in
 * chunks of at most 64 bytes (`request`, `request.1`, …, cut between characters), up to
 * `MAX_CHUNKS`; a longer value is stored whole (correct, only larger).
 */
const CHUNK_BYTES = 64;
const MAX_CHUNKS = 64;

/**
 * `name`'s value as chunk fields; with `clearRest`, the first unused chunk field too, empty: a
 * transition deletes it and every chunk after it (chunks are contiguous, `transition.lua`).
 */
export function splitField(name: string, value: string, clearRest = false): Record<string, string> {
  const chunks: string[] = [];
  if (/^[\x20-\x7e]*$/.test(value)) {
    for (let i = 0; i < value.length; i += CHUNK_BYTES)
      chunks.push(value.slice(i, i + CHUNK_BYTES));
  } else {
    let current = '';
    let bytes = 0;
    for (const char of value) {
      const size = Buffer.byteLength(char);
      if (bytes + size > CHUNK_BYTES && current !== '') {
        chunks.push(current);
        current = '';
        bytes = 0;
      }
      current += char;
      bytes += size;
    }
    chunks.push(current);
  }
  const whole = chunks.length > MAX_CHUNKS;
  const fields: Record<string, string> = {};
  const stored = whole ? [value] : chunks.length === 0 ? [''] : chunks;
  for (let i = 0; i < stored.length + (clearRest ? 1 : 0); i++)
    fields[i === 0 ? name : `${name}.${i}`] = stored[i] ?? '';
  return fields;
}

/** A value stored by `splitField` (or whole, as records before it were), or undefined. */
export function joinField(hash: Record<string, string>, name: string): string | undefined {
  const first = hash[name];
  if (first === undefined) return undefined;
  let value = first;
  for (let i = 1; hash[`${name}.${i}`] !== undefined; i++) value += hash[`${name}.${i}`];
  return value;
}

type ImageOwner = { tenant: string; batchId: string | null; id: string };

/**
 * A result as stored: an image's `key` and `mime_type` are left out where they are what
 * `imageKey` and PNG make them (every image we store), about 100 bytes an image.
 */
function packResult(result: StoredResult, owner: ImageOwner): string {
  return JSON.stringify({
    ...result,
    images: result.images.map((image, index) => {
      const { key, mime_type, ...rest } = image;
      return {
        ...(key === imageKey(owner.tenant, owner.batchId, owner.id, index) ? {} : { key }),
        ...(mime_type === 'image/png' ? {} : { mime_type }),
        ...rest,
      };
    }),
  });
}

/** The stored result with every image's `key` and `mime_type` back; null when there is none. */
export function unpackResult(
  stored: string | null | undefined,
  owner: ImageOwner,
): StoredResult | null {
  if (!stored || stored === 'null') return null;
  const result = JSON.parse(stored) as Omit<StoredResult, 'images'> & {
    images: (Omit<StoredImage, 'key' | 'mime_type'> & { key?: string; mime_type?: string })[];
  };
  return {
    ...result,
    images: result.images.map(({ key, mime_type, ...rest }, index) => ({
      key: key ?? imageKey(owner.tenant, owner.batchId, owner.id, index),
      mime_type: mime_type ?? 'image/png',
      ...rest,
    })),
  };
}

/** A job from its stored hash (also what a webhook event recorded by the transition holds). */
export function jobFromHash(hash: Record<string, string>): JobRecord {
  return {
    id: hash.id!,
    tenant: hash.tenant!,
    batchId: hash.batch_id || null,
    status: hash.status as JobStatus,
    attempts: Number(hash.attempts ?? 0),
    createdAt: hash.created_at!,
    startedAt: hash.started_at || null,
    finishedAt: hash.finished_at || null,
    request: JSON.parse(joinField(hash, 'request')!),
    metadata: JSON.parse(joinField(hash, 'metadata') ?? '{}'),
    webhookUrl: hash.webhook_url || null,
    priority: Number(hash.priority ?? 0),
    result: unpackResult(joinField(hash, 'result'), {
      tenant: hash.tenant!,
      batchId: hash.batch_id || null,
      id: hash.id!,
    }),
    error: JSON.parse(hash.error ?? 'null'),
    usage: jobUsageFromHash(hash),
    control: parseControl(hash.control),
    ...(hash.terminal_count ? { terminalCount: Number(hash.terminal_count) } : {}),
  };
}
