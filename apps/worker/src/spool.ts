import type { GeneratedImage, GenerationResult } from '@imagen-queue/imagen';
import type { RedisClient } from '@imagen-queue/shared';
import type { Redis } from 'ioredis';

/**
 * Images that were generated (and paid for) but could not be stored yet. The next attempt
 * uploads these instead of calling the provider again. The only place image bytes touch Redis;
 * they expire after `ttlSeconds` and are deleted once stored.
 */
export interface Spool {
  save(tenant: string, jobId: string, result: GenerationResult): Promise<void>;
  load(tenant: string, jobId: string): Promise<GenerationResult | null>;
  clear(tenant: string, jobId: string): Promise<void>;
}

interface SpoolMeta {
  enhancedPrompt: string | null;
  requested: number;
  filtered: number;
  images: Omit<GeneratedImage, 'bytes'>[];
}

export function createSpool(
  redis: RedisClient,
  options: { prefix: string; ttlSeconds: number },
): Spool {
  const client = redis as Redis;
  // Same hash tag as the job's record: one tenant's state stays in one cluster slot.
  const key = (tenant: string, jobId: string) => `${options.prefix}:{t:${tenant}}:spool:${jobId}`;
  return {
    async save(tenant, jobId, result) {
      const meta: SpoolMeta = {
        enhancedPrompt: result.enhancedPrompt,
        requested: result.requested,
        filtered: result.filtered,
        images: result.images.map(({ mimeType, width, height }) => ({ mimeType, width, height })),
      };
      const fields: (string | Buffer)[] = ['meta', JSON.stringify(meta)];
      result.images.forEach((image, index) => {
        fields.push(String(index), image.bytes);
      });
      await client
        .multi()
        .hset(key(tenant, jobId), ...fields)
        .expire(key(tenant, jobId), options.ttlSeconds)
        .exec();
    },
    async load(tenant, jobId) {
      const hash = await client.hgetallBuffer(key(tenant, jobId));
      const metaBytes = hash.meta;
      if (!metaBytes) return null;
      const meta = JSON.parse(metaBytes.toString('utf8')) as SpoolMeta;
      const images: GeneratedImage[] = [];
      for (const [index, image] of meta.images.entries()) {
        const bytes = hash[String(index)];
        if (!bytes) return null; // incomplete: generate again rather than store a partial set
        images.push({ ...image, bytes });
      }
      return {
        images,
        enhancedPrompt: meta.enhancedPrompt,
        requested: meta.requested,
        filtered: meta.filtered,
      };
    },
    async clear(tenant, jobId) {
      await client.del(key(tenant, jobId));
    },
  };
}
