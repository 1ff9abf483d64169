import { redisKeys } from '@imagen-queue/contract';
import type { Logger } from '@imagen-queue/shared';
import type { Redis } from 'ioredis';
import type { RedisClient } from './redis.ts';

/** An image as the provider returned it. */
export interface SpooledImage {
  bytes: Buffer;
  mimeType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

/** A provider call's result, as far as the spool keeps it (the Imagen client's result is one). */
export interface SpooledResult {
  images: SpooledImage[];
  enhancedPrompt: string | null;
  requested: number;
  filtered: number;
}

/**
 * Images that were generated (and paid for) but could not be stored yet. The next attempt
 * uploads these instead of calling the provider again. The only place image bytes touch Redis;
 * they expire after `ttlSeconds` and are deleted once stored.
 */
export interface Spool {
  save(tenant: string, jobId: string, result: SpooledResult): Promise<void>;
  load(tenant: string, jobId: string): Promise<SpooledResult | null>;
  clear(tenant: string, jobId: string): Promise<void>;
}

interface SpoolMeta {
  enhancedPrompt: string | null;
  requested: number;
  filtered: number;
  images: Omit<SpooledImage, 'bytes'>[];
}

export interface SpoolOptions {
  prefix: string;
  ttlSeconds: number;
  /**
   * Bytes this process may have in the spool at once. Over it, a result is not spooled (its
   * next attempt calls the provider again): a long outage must not fill Redis with images.
   * @defaultValue unbounded
   */
  maxBytes?: number;
  log?: Logger;
}

export function createSpool(redis: RedisClient, options: SpoolOptions): Spool {
  const client = redis as Redis;
  // Bytes this process spooled and has not cleared yet (what expired is forgotten too late,
  // which only errs towards spooling less).
  const spooled = new Map<string, number>();
  const total = () => [...spooled.values()].reduce((sum, n) => sum + n, 0);
  const key = redisKeys(options.prefix).spool;
  return {
    async save(tenant, jobId, result) {
      const bytes = result.images.reduce((sum, image) => sum + image.bytes.length, 0);
      const id = key(tenant, jobId);
      if (options.maxBytes !== undefined && total() + bytes > options.maxBytes) {
        options.log?.warn({ jobId, bytes, maxBytes: options.maxBytes }, 'spool full; not spooled');
        return;
      }
      spooled.set(id, bytes);
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
      const images: SpooledImage[] = [];
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
      spooled.delete(key(tenant, jobId));
      await client.del(key(tenant, jobId));
    },
  };
}
