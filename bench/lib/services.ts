import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedisServer } from '@imagen-queue/local-services';
import { Redis } from 'ioredis';
import { runProcess } from './processes.ts';

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
  const dir = mkdtempSync(join(tmpdir(), 'imagen-bench-'));
  const redisServer = await startRedisServer();
  const s3Port = await freePort();
  const s3 = runProcess('s3', 'packages/local-services/src/s3-main.ts', {}, [
    String(s3Port),
    join(dir, 's3'),
    BUCKET,
  ]);
  await s3.waitForOutput(/s3 listening/);
  const s3Endpoint = `http://127.0.0.1:${s3Port}`;
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 3 });
  return {
    redisUrl: redisServer.url,
    s3Endpoint,
    redis,
    env: (prefix, extra = {}) => ({
      REDIS_URL: redisServer.url,
      QUEUE_PREFIX: prefix,
      S3_ENDPOINT: s3Endpoint,
      S3_REGION: 'us-east-1',
      S3_BUCKET: BUCKET,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
      ...extra,
    }),
    async stop() {
      redis.disconnect();
      await s3.stop();
      await redisServer.stop();
      rmSync(dir, { recursive: true, force: true });
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
