import { createHash } from 'node:crypto';
import {
  type GenerationParams,
  imagesExpireAt,
  joinField,
  redisKeys,
  type StoredResult,
  unpackResult,
} from '@imagen-queue/contract';
import type { Redis } from 'ioredis';
import type { RedisClient } from './redis.ts';

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
 * Per tenant, the request's fingerprint (every parameter, seed included) → the id of the job that
 * made it. The result is read from that job's record, not stored a second time. Entries expire
 * with the job's record, or sooner with its images (`IMAGE_RETENTION_DAYS`), and an entry whose
 * images have passed their expiry is never served, so a hit always names objects that exist.
 */
export function createImageCacheStore(
  redis: RedisClient,
  options: { prefix: string; ttlSeconds: number; imageRetentionDays?: number | null },
): ImageCacheStore {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  const key = (tenant: string, request: GenerationParams) =>
    keys.imageCache(tenant, fingerprint(request));
  const retentionDays = options.imageRetentionDays ?? null;
  const ttlSeconds = retentionDays
    ? Math.min(options.ttlSeconds, retentionDays * 86_400)
    : options.ttlSeconds;
  return {
    async find(tenant, request) {
      const jobId = await client.get(key(tenant, request));
      if (!jobId) return null;
      const hash = await client.hgetall(keys.job(tenant, jobId));
      const result = unpackResult(joinField(hash, 'result'), {
        tenant,
        batchId: hash.batch_id || null,
        id: jobId,
      });
      const expiresAt = imagesExpireAt(hash.finished_at ?? null, retentionDays);
      if (!result || (expiresAt && Date.parse(expiresAt) <= Date.now())) {
        await client.del(key(tenant, request));
        return null;
      }
      return { jobId, result };
    },
    async remember(tenant, request, entry) {
      await client.set(key(tenant, request), entry.jobId, 'EX', ttlSeconds);
    },
    entryFor(tenant, request, entry) {
      return {
        key: key(tenant, request),
        value: entry.jobId,
        ttlSeconds,
      };
    },
    async forget(tenant, request) {
      await client.del(key(tenant, request));
    },
  };
}

/**
 * Fingerprints by request object: a job's attempt looks its request up before the call and
 * writes its entry after, from the same record (one sha256 of the sorted JSON, not two).
 */
const fingerprints = new WeakMap<GenerationParams, string>();

/** sha256 of the parameters with their keys sorted: the same request, the same fingerprint. */
export function fingerprint(request: GenerationParams): string {
  let known = fingerprints.get(request);
  if (known === undefined) {
    known = computeFingerprint(request);
    fingerprints.set(request, known);
  }
  return known;
}

function computeFingerprint(request: GenerationParams): string {
  const sorted = Object.fromEntries(
    Object.entries(request).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}
