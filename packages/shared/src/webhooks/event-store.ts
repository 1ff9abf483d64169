import type { Redis } from 'ioredis';
import { jobFromHash } from '../job-store.ts';
import { redisKeys } from '../keys.ts';
import type { RedisClient } from '../redis.ts';
import type { DeliveryStatus, WebhookAttempt, WebhookEvent } from './events.ts';

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

// KEYS: event, index keys… ARGV: fields (JSON), retention seconds, event id
const RECORD_LUA = `
local existing = redis.call('HGET', KEYS[1], 'status')
if existing then return existing end
for field, value in pairs(cjson.decode(ARGV[1])) do redis.call('HSET', KEYS[1], field, value) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
for i = 2, #KEYS do
  redis.call('RPUSH', KEYS[i], ARGV[3])
  redis.call('EXPIRE', KEYS[i], ARGV[2])
end
return 'new'`;

function statusFields(status: DeliveryStatus, at: string | undefined): Record<string, string> {
  const fields: Record<string, string> = { status };
  if (status === 'delivered') fields.delivered_at = at ?? new Date().toISOString();
  return fields;
}

/**
 * An event recorded by the transition script holds the job's stored hash (`{ kind, hash }`),
 * read back as the job store reads a job; one recorded here holds the record itself.
 */
function parseSubject(raw: string): WebhookEvent['subject'] {
  const subject = JSON.parse(raw) as
    | WebhookEvent['subject']
    | { kind: 'job'; hash: Record<string, string> };
  return 'hash' in subject ? { kind: 'job', record: jobFromHash(subject.hash) } : subject;
}

// KEYS: attempts list, event. ARGV: attempt (JSON), retention seconds, event fields to set
// (field, value, …; none = the status stays).
const ATTEMPT_LUA = `
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
if #ARGV > 2 then redis.call('HSET', KEYS[2], unpack(ARGV, 3)) end
return 1`;

interface AttemptCommand {
  iqWebhookAttempt(...args: string[]): Promise<number>;
}

export function createWebhookEventStore(
  redis: RedisClient,
  options: { prefix: string; retentionSeconds: number },
): WebhookEventStore {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  const ttl = String(options.retentionSeconds);
  if (!('iqWebhookAttempt' in client)) {
    client.defineCommand('iqWebhookAttempt', { numberOfKeys: 2, lua: ATTEMPT_LUA });
  }
  return {
    async record(event, indexes) {
      const indexKeys = [
        ...(indexes.jobId ? [keys.jobWebhooks(event.tenant, indexes.jobId)] : []),
        ...(indexes.batchId ? [keys.batchWebhooks(event.tenant, indexes.batchId)] : []),
      ];
      const fields = {
        id: event.id,
        tenant: event.tenant,
        type: event.type,
        url: event.url,
        timestamp: event.timestamp,
        subject: JSON.stringify(event.subject),
        status: event.status,
        delivered_at: event.deliveredAt ?? '',
      };
      const status = (await client.eval(
        RECORD_LUA,
        1 + indexKeys.length,
        keys.webhookEvent(event.tenant, event.id),
        ...indexKeys,
        JSON.stringify(fields),
        ttl,
        event.id,
      )) as string;
      return status === 'new' ? 'pending' : (status as DeliveryStatus);
    },
    async get(tenant, id) {
      const hash = await client.hgetall(keys.webhookEvent(tenant, id));
      if (!hash.id || hash.tenant !== tenant) return null;
      return {
        id: hash.id,
        tenant,
        type: hash.type as WebhookEvent['type'],
        url: hash.url!,
        timestamp: hash.timestamp!,
        subject: parseSubject(hash.subject!),
        status: hash.status as DeliveryStatus,
        deliveredAt: hash.delivered_at || null,
      };
    },
    async attempts(tenant, id) {
      const raw = await client.lrange(keys.webhookAttempts(tenant, id), 0, -1);
      return raw.map((line) => JSON.parse(line) as WebhookAttempt);
    },
    async addAttempt(tenant, id, attempt, then) {
      // One script, not a MULTI: ioredis writes each command of a MULTI to the socket apart.
      const fields = then ? statusFields(then.status, then.at) : {};
      await (client as unknown as AttemptCommand).iqWebhookAttempt(
        keys.webhookAttempts(tenant, id),
        keys.webhookEvent(tenant, id),
        JSON.stringify(attempt),
        ttl,
        ...Object.entries(fields).flat(),
      );
    },
    async setStatus(tenant, id, status, at) {
      await client.hset(keys.webhookEvent(tenant, id), statusFields(status, at));
    },
    async list(tenant, of, start, count) {
      const key =
        'jobId' in of ? keys.jobWebhooks(tenant, of.jobId) : keys.batchWebhooks(tenant, of.batchId);
      return client.lrange(key, start, start + count - 1);
    },
  };
}
