import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '../keys.ts';
import type { RedisClient } from '../redis.ts';
import type { GenerationParams } from '../schemas/generation.ts';
import type { StoredResult } from '../schemas/job.ts';

/** An earlier succeeded job whose images an exact repeat may copy. */
export interface CachedResult {
  jobId: string;
  result: StoredResult;
}

export interface ImageCacheStore {
  find(tenant: string, request: GenerationParams): Promise<CachedResult | null>;
  remember(tenant: string, request: GenerationParams, entry: CachedResult): Promise<void>;
  /** What `remember` would write, for a job's terminal transition to write with it. */
  entryFor(
    tenant: string,
    request: GenerationParams,
    entry: CachedResult,
  ): { key: string; value: string; ttlSeconds: number };
  /** Drops an entry whose images are gone (expired or deleted). */
  forget(tenant: string, request: GenerationParams): Promise<void>;
}

/**
 * Per tenant, the request's fingerprint (every parameter, seed included) → the job that made it.
 * Entries expire with the images they point at, so a hit always names objects that exist.
 */
export function createImageCacheStore(
  redis: RedisClient,
  options: { prefix: string; ttlSeconds: number },
): ImageCacheStore {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  const key = (tenant: string, request: GenerationParams) =>
    keys.imageCache(tenant, fingerprint(request));
  return {
    async find(tenant, request) {
      const value = await client.get(key(tenant, request));
      return value ? (JSON.parse(value) as CachedResult) : null;
    },
    async remember(tenant, request, entry) {
      await client.set(key(tenant, request), JSON.stringify(entry), 'EX', options.ttlSeconds);
    },
    entryFor(tenant, request, entry) {
      return {
        key: key(tenant, request),
        value: JSON.stringify(entry),
        ttlSeconds: options.ttlSeconds,
      };
    },
    async forget(tenant, request) {
      await client.del(key(tenant, request));
    },
  };
}

/** sha256 of the parameters with their keys sorted: the same request, the same fingerprint. */
export function fingerprint(request: GenerationParams): string {
  const sorted = Object.fromEntries(
    Object.entries(request).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}
