import { idTimePrefix, redisKeys } from '@imagen-queue/contract';
import type { Redis } from 'ioredis';
import type { RedisWrites } from './queue-pipeline.ts';
import type { RedisClient } from './redis.ts';

export type ListKind = 'jobs' | 'batches';

/**
 * A tenant's jobs and batches, newest first, for `GET /v1/jobs` and `GET /v1/batches`.
 *
 * One sorted set per tenant and kind, every member at score 0, so the set orders by member:
 * our ids start with their creation time (see `newId`), so lexical order is time order and an
 * id is its own cursor (no offset that shifts while new work arrives). A member outlives its
 * record when the record expires; readers drop such members as they meet them (`forget`), every
 * `add` drops those created more than `ttlSeconds` ago (so a busy tenant's set does not grow
 * with every job it ever made), and the set itself expires `ttlSeconds` after the tenant last
 * created anything. A process trims and renews a set at most once every `UPKEEP_MS`: against a
 * horizon and a lifetime of days, a second changes nothing, and per job it was two of the
 * seven commands a `POST /v1/jobs` sends.
 */
export interface ListIndex {
  add(tenant: string, kind: ListKind, ids: string[]): Promise<void>;
  /** `add`'s commands queued with the enqueue of the jobs (`addBulkWith`). */
  stageAdd(writes: RedisWrites, tenant: string, kind: ListKind, ids: string[]): void;
  /** Up to `count` ids older than `before` (exclusive; none = from the newest). */
  page(tenant: string, kind: ListKind, before: string | null, count: number): Promise<string[]>;
  /** Drops ids whose records are gone. */
  forget(tenant: string, kind: ListKind, ids: string[]): Promise<void>;
}

/** A day past the job retention: by then every record a list names has expired. */
const GRACE_SECONDS = 86_400;

/** How long a tenant's list lives after it last gained an id. */
export function listIndexTtlSeconds(retentionSeconds: number): number {
  return retentionSeconds + GRACE_SECONDS;
}

/** Ids older than this were made before `ttlSeconds` ago: their records have expired. */
export function listHorizon(kind: ListKind, ttlSeconds: number, now = Date.now()): string {
  return idTimePrefix(kind === 'jobs' ? 'job' : 'bat', now - ttlSeconds * 1000);
}

/** ZADD this many members a command, so a 10,000-job batch is a few short commands. */
const CHUNK = 1000;

/** How often one process trims a set and renews its lifetime. */
const UPKEEP_MS = 1000;

export function createListIndex(
  redis: RedisClient,
  options: { prefix: string; ttlSeconds: number },
): ListIndex {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  // When this process last trimmed and renewed each set. Nothing but the TTL deletes a set, and
  // a renewal under `UPKEEP_MS` ago leaves it days to live: an add in between still finds it.
  const keptAt = new Map<string, number>();
  const stageAdd = (writes: RedisWrites, tenant: string, kind: ListKind, ids: string[]): void => {
    if (ids.length === 0) return;
    const key = keys.listIndex(tenant, kind);
    for (let i = 0; i < ids.length; i += CHUNK) {
      writes.zadd(key, ...ids.slice(i, i + CHUNK).flatMap((id) => ['0', id]));
    }
    const now = Date.now();
    if (now - (keptAt.get(key) ?? Number.NEGATIVE_INFINITY) < UPKEEP_MS) return;
    keptAt.set(key, now);
    writes.zremrangebylex(key, '-', `(${listHorizon(kind, options.ttlSeconds, now)}`);
    writes.expire(key, options.ttlSeconds);
  };
  return {
    async add(tenant, kind, ids) {
      if (ids.length === 0) return;
      const multi = client.multi();
      stageAdd(multi as unknown as RedisWrites, tenant, kind, ids);
      await multi.exec();
    },
    stageAdd,
    page(tenant, kind, before, count) {
      return client.zrevrangebylex(
        keys.listIndex(tenant, kind),
        before ? `(${before}` : '+',
        '-',
        'LIMIT',
        0,
        count,
      );
    },
    async forget(tenant, kind, ids) {
      if (ids.length > 0) await client.zrem(keys.listIndex(tenant, kind), ...ids);
    },
  };
}
