import { provideServices, serviceEnv } from '@imagen-queue/dev-stack';
import { Redis } from 'ioredis';
import { benchRun } from './processes.ts';

export const BUCKET = 'bench';

export interface Services {
  redisUrl: string;
  s3Endpoint: string;
  /** A Redis client of the bench's own (seeding, counting, clean-up). */
  redis: Redis;
  /** The environment every spawned API and worker gets, for one key prefix. */
  env(prefix: string, extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * One redis-server and one S3-compatible server (s3rver, in a process of its own so that its
 * CPU is not the bench's) on free ports, shared by every figure and its baseline.
 */
export async function startServices(): Promise<Services> {
  const { services, stop } = await provideServices({ buckets: [BUCKET], s3Process: benchRun });
  const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 3 });
  return {
    redisUrl: services.redisUrl,
    s3Endpoint: services.s3.endpoint,
    redis,
    env: (prefix, extra = {}) => serviceEnv(services, prefix, BUCKET, extra),
    async stop() {
      redis.disconnect();
      await stop();
    },
  };
}

/** Deletes every key of one prefix (ours `p:…` and BullMQ's `{p}:…`), so rounds start equal. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  }
}
