import type { Redis } from 'ioredis';
import { idTimePrefix } from './ids.ts';
import { redisKeys } from './keys.ts';
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
 * created anything.
 */
export interface ListIndex {
  add(tenant: string, kind: ListKind, ids: string[]): Promise<void>;
  /** Up to `count` ids older than `before` (exclusive; none = from the newest). */
  page(tenant: string, kind: ListKind, before: string | null, count: number): Promise<string[]>;
  /** Drops ids whose records are gone. */
  forget(tenant: string, kind: ListKind, ids: string[]): Promise<void>;
}

/** ZADD this many members a command, so a 10,000-job batch is a few short commands. */
const CHUNK = 1000;

export function createListIndex(
  redis: RedisClient,
  options: { prefix: string; ttlSeconds: number },
): ListIndex {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  return {
    async add(tenant, kind, ids) {
      if (ids.length === 0) return;
      const key = keys.listIndex(tenant, kind);
      const multi = client.multi();
      for (let i = 0; i < ids.length; i += CHUNK) {
        multi.zadd(key, ...ids.slice(i, i + CHUNK).flatMap((id) => ['0', id]));
      }
      const horizon = idTimePrefix(
        kind === 'jobs' ? 'job' : 'bat',
        Date.now() - options.ttlSeconds * 1000,
      );
      multi.zremrangebylex(key, '-', `(${horizon}`);
      multi.expire(key, options.ttlSeconds);
      await multi.exec();
    },
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
