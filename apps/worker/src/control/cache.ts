import {
  imageKey,
  isDeterministic,
  type JobRecord,
  type StoredResult,
} from '@imagen-queue/contract';
import type { Logger, Storage } from '@imagen-queue/shared';
import type { CachedResult, ImageCacheStore, UsageStore } from '@imagen-queue/store';

export interface CacheContext {
  imageCache?: ImageCacheStore;
  usage?: UsageStore;
  storage: Pick<Storage, 'copyObject'>;
  log: Logger;
  signal: AbortSignal;
}

/** Only a seeded request to a deterministic model, not opted out, gives the same image again. */
function cacheable(job: JobRecord): boolean {
  return (
    job.control?.cache !== false &&
    job.request.seed !== undefined &&
    isDeterministic(job.request.model)
  );
}

/**
 * Looks the job up in the image cache: a read only, so it can go out beside the job's start
 * transition (`serveFromCache` takes the answer). Resolves null for a job that is not cacheable.
 */
export function lookUpCache(
  job: JobRecord,
  ctx: Pick<CacheContext, 'imageCache'>,
): Promise<CachedResult | null> {
  if (!ctx.imageCache || !cacheable(job)) return Promise.resolve(null);
  const found = ctx.imageCache.find(job.tenant, job.request);
  // Awaited later (or never, when the job does not start): not an unhandled rejection meanwhile.
  found.catch(() => undefined);
  return found;
}

/**
 * The result of an earlier identical job of the tenant, its images copied to this job's own keys
 * (S3 `CopyObject`), with no provider call; `null` when there is none or its images are gone.
 */
export async function serveFromCache(
  job: JobRecord,
  ctx: CacheContext,
  lookup: Promise<CachedResult | null> = lookUpCache(job, ctx),
): Promise<StoredResult | null> {
  if (!ctx.imageCache || !cacheable(job)) return null;
  const hit = await lookup;
  if (!hit || hit.jobId === job.id) return null;
  const images = [];
  try {
    for (const [index, image] of hit.result.images.entries()) {
      const key = imageKey(job.tenant, job.batchId, job.id, index);
      await ctx.storage.copyObject(image.key, key, ctx.signal);
      images.push({ ...image, key });
    }
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    // The source expired or was deleted: generate afresh rather than fail the job.
    ctx.log.warn({ err: error, cachedFrom: hit.jobId }, 'cached images unavailable; generating');
    await ctx.imageCache.forget(job.tenant, job.request);
    return null;
  }
  await ctx.usage?.record({
    tenant: job.tenant,
    jobId: job.id,
    batchId: job.batchId,
    model: job.request.model,
    calls: 0,
    images: images.length,
    credits: 0,
    usd: 0,
    requestId: null,
    cachedFrom: hit.jobId,
  });
  ctx.log.info({ cachedFrom: hit.jobId, images: images.length }, 'served from the image cache');
  return { ...hit.result, images };
}

/**
 * The entry that makes this job's stored images the answer to later exact repeats, for its
 * success transition to write (`TransitionChange.cacheEntry`); undefined when not cacheable.
 */
export function cacheEntryFor(
  job: JobRecord,
  result: StoredResult,
  ctx: Pick<CacheContext, 'imageCache'>,
): { key: string; value: string; ttlSeconds: number } | undefined {
  if (!ctx.imageCache || !cacheable(job) || result.images.length === 0) return undefined;
  return ctx.imageCache.entryFor(job.tenant, job.request, { jobId: job.id, result });
}
