import type { RedisClient } from './redis.ts';

/** An Idempotency-Key's entry: the request's fingerprint, and its answer once it has one. */
export interface IdempotencyEntry {
  fingerprint: string;
  state: 'pending' | 'done';
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The single requests' Idempotency-Key entries (`keys.idempotency`); batches keep theirs in the accept script. */
export function createIdempotencyStore(redis: RedisClient) {
  return {
    /** Takes the key for a request starting now, unless another holds it; true when taken. */
    async claim(key: string, entry: IdempotencyEntry, ttlSeconds: number): Promise<boolean> {
      return (await redis.set(key, JSON.stringify(entry), 'EX', ttlSeconds, 'NX')) !== null;
    },
    async read(key: string): Promise<IdempotencyEntry | null> {
      return JSON.parse((await redis.get(key)) ?? 'null') as IdempotencyEntry | null;
    },
    /** Stores the answer for the key's lifetime. */
    async complete(key: string, entry: IdempotencyEntry, ttlSeconds: number): Promise<void> {
      await redis.set(key, JSON.stringify(entry), 'EX', ttlSeconds);
    },
    /** Frees the key of a request that failed, so that it can be retried. */
    async release(key: string): Promise<void> {
      await redis.del(key);
    },
  };
}
export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
