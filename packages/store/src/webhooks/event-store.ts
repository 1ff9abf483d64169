import {
  type DeliveryStatus,
  JOB_RECORD,
  type JobRecord,
  jobEventId,
  redisKeys,
  WEBHOOK_EVENT_RECORD,
  type WebhookAttempt,
  type WebhookEvent,
} from '@imagen-queue/contract';
import type { Redis } from 'ioredis';
import { createJobStore } from '../job-store.ts';
import type { RedisClient } from '../redis.ts';
import { defineScripts } from '../scripts.ts';

/**
 * Webhook events and their delivery log, under the tenant's hash tag: an id from another
 * tenant builds a key that does not exist, so it answers 404 like any unknown id.
 */
export interface WebhookEventStore {
  /**
   * Records the event unless it exists. Returns its delivery status: `pending` (new, or
   * recorded but not delivered yet) means it should be enqueued.
   */
  record(
    event: WebhookEvent,
    indexes: { jobId?: string; batchId?: string },
  ): Promise<DeliveryStatus>;
  get(tenant: string, id: string): Promise<WebhookEvent | null>;
  attempts(tenant: string, id: string): Promise<WebhookAttempt[]>;
  /** Logs an attempt; with `then`, sets the event's status in the same round trip. */
  addAttempt(
    tenant: string,
    id: string,
    attempt: WebhookAttempt,
    then?: { status: DeliveryStatus; at?: string },
  ): Promise<void>;
  setStatus(tenant: string, id: string, status: DeliveryStatus, at?: string): Promise<void>;
  /** Event ids of a job or batch, oldest first. */
  list(
    tenant: string,
    of: { jobId: string } | { batchId: string },
    start: number,
    count: number,
  ): Promise<string[]>;
}

interface EventScripts {
  /** Keys counted by the first argument: the event's, then its index keys. */
  record(...args: string[]): Promise<string>;
  addAttempt(...args: string[]): Promise<number>;
  setIfExists(...args: string[]): Promise<number>;
}

function statusFields(status: DeliveryStatus, at: string | undefined): string[] {
  const fields = ['status', status];
  if (status === 'delivered') fields.push('delivered_at', at ?? new Date().toISOString());
  return fields;
}

/** `at|status_code|error|duration_ms|next_retry_at`, empty for null: ~35 bytes, not ~110. */
function packAttempt(attempt: WebhookAttempt): string {
  return [
    attempt.at,
    attempt.status_code ?? '',
    attempt.error ?? '',
    attempt.duration_ms,
    attempt.next_retry_at ?? '',
  ].join('|');
}

function unpackAttempt(packed: string): WebhookAttempt {
  const parts = packed.split('|');
  // The error may hold a `|` itself: it is whatever lies between the second and the last two.
  const [at, code] = parts;
  const [duration, next] = parts.slice(-2);
  const error = parts.slice(2, -2).join('|');
  return {
    at: at!,
    status_code: code ? Number(code) : null,
    error: error === '' ? null : error,
    duration_ms: Number(duration),
    next_retry_at: next ? next : null,
  };
}

/**
 * A job's event from its stored fields and its job's record, as `get` reads them; also for the
 * transition that has just recorded both (`TransitionOutcome.recorded`).
 */
export function jobEventFrom(
  tenant: string,
  id: string,
  fields: Record<string, string>,
  record: JobRecord,
): WebhookEvent {
  return {
    ...WEBHOOK_EVENT_RECORD.decode({ ...fields, id, tenant }),
    subject: { kind: 'job', record },
  };
}

export function createWebhookEventStore(
  redis: RedisClient,
  options: { prefix: string; retentionSeconds: number },
): WebhookEventStore {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  const ttl = String(options.retentionSeconds);
  const jobs = createJobStore(redis, options);
  const scripts = defineScripts<EventScripts>(redis, {
    record: { file: 'event-record', keys: 'dynamic' },
    addAttempt: { file: 'event-add-attempt', keys: 1 },
    setIfExists: { file: 'event-set-if-exists', keys: 1 },
  });
  return {
    async record(event, indexes) {
      // A job's events need no list: their ids follow from its terminal count (`list`).
      const indexKeys = indexes.batchId ? [keys.batchWebhooks(event.tenant, indexes.batchId)] : [];
      // The id and tenant are the key's. A job event's subject is its job, whose record is kept
      // as long as the event: the body is rendered from it rather than from a second copy, and
      // the job is named by the event's id (`evt_<job>_<n>`); a batch's snapshot is one a batch.
      const subject = event.subject;
      const fields = WEBHOOK_EVENT_RECORD.encode(event);
      if (subject.kind === 'batch') fields.subject = JSON.stringify(subject);
      else if (!event.id.startsWith(`evt_${subject.record.id}_`))
        fields.subject = JSON.stringify({ kind: 'job', id: subject.record.id });
      const status = await scripts.record(
        String(1 + indexKeys.length),
        keys.webhookEvent(event.tenant, event.id),
        ...indexKeys,
        JSON.stringify(fields),
        ttl,
        event.id,
      );
      return status === 'new' ? 'pending' : (status as DeliveryStatus);
    },
    async get(tenant, id) {
      const hash = await client.hgetall(keys.webhookEvent(tenant, id));
      if (!hash.status) return null;
      const stored = (
        hash.subject
          ? JSON.parse(hash.subject)
          : { kind: 'job', id: /^evt_(job_[0-9a-z]+)_\d+$/.exec(id)?.[1] ?? '' }
      ) as WebhookEvent['subject'] | { kind: 'job'; id: string; record?: undefined };
      // A snapshot (a batch's; a job's from before events named their job) or the job's record.
      if (stored.record)
        return { ...WEBHOOK_EVENT_RECORD.decode({ ...hash, id, tenant }), subject: stored };
      const record = await jobs.get(tenant, (stored as { id: string }).id);
      return record ? jobEventFrom(tenant, id, hash, record) : null;
    },
    async attempts(tenant, id) {
      const [[, hash], [, legacy]] = (await client
        .pipeline()
        .hgetall(keys.webhookEvent(tenant, id))
        // Events recorded before attempts moved into the event hash kept them in a list.
        .lrange(keys.webhookAttempts(tenant, id), 0, -1)
        .exec()) as [[null, Record<string, string>], [null, string[]]];
      const count = Number(hash.attempt_count ?? 0);
      return [
        ...legacy.map((line) => JSON.parse(line) as WebhookAttempt),
        ...Array.from({ length: count }, (_, i) => hash[`a${i + 1}`])
          .filter((packed): packed is string => packed !== undefined)
          .map(unpackAttempt),
      ];
    },
    async addAttempt(tenant, id, attempt, then) {
      await scripts.addAttempt(
        keys.webhookEvent(tenant, id),
        packAttempt(attempt),
        ...(then ? statusFields(then.status, then.at) : []),
      );
    },
    async setStatus(tenant, id, status, at) {
      await scripts.setIfExists(keys.webhookEvent(tenant, id), ...statusFields(status, at));
    },
    async list(tenant, of, start, count) {
      if ('batchId' in of)
        return client.lrange(keys.batchWebhooks(tenant, of.batchId), start, start + count - 1);
      // evt_<job>_1 … evt_<job>_<terminal count>: those recorded (a job without a URL has none).
      const terminals = Number(
        (await client.hget(keys.job(tenant, of.jobId), JOB_RECORD.fields.terminalCount.name)) ?? 0,
      );
      const ids = Array.from({ length: terminals }, (_, i) => jobEventId(of.jobId, i + 1));
      if (ids.length === 0) return [];
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.exists(keys.webhookEvent(tenant, id));
      const exists = (await pipeline.exec()) ?? [];
      return ids.filter((_, i) => exists[i]?.[1] === 1).slice(start, start + count);
    },
  };
}
