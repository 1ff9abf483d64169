import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, startS3Server } from '@imagen-queue/local-services';

/** Where the integration tests find Redis and S3. */
export interface TestServices {
  redisUrl: string;
  s3: { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string };
  /** How they were provided, printed once so a reader of the CI log knows. */
  source: string;
}

type Stop = () => Promise<unknown>;

/**
 * The order the style guide asks for: `REDIS_URL`/`S3_ENDPOINT` when set; else containers when
 * an engine answers; else a `redis-server` child and an in-process s3rver on free ports.
 */
export async function provideServices(): Promise<{ services: TestServices; stop: Stop }> {
  const stops: Stop[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn();
  };
  const env = process.env;
  const sources: string[] = [];
  const containers = env.REDIS_URL && env.S3_ENDPOINT ? false : await containerEngineAnswers();

  let redisUrl = env.REDIS_URL;
  if (redisUrl) {
    sources.push('redis from REDIS_URL');
  } else if (containers) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    stops.push(() => container.stop());
    redisUrl = container.getConnectionUrl();
    sources.push('redis in a container');
  } else {
    const redis = await startRedisServer();
    stops.push(() => redis.stop());
    redisUrl = redis.url;
    sources.push('redis-server child process');
  }

  let s3: TestServices['s3'];
  if (env.S3_ENDPOINT) {
    s3 = {
      endpoint: env.S3_ENDPOINT,
      accessKeyId: env.S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? '',
      region: env.S3_REGION ?? 'us-east-1',
    };
    sources.push('S3 from S3_ENDPOINT');
  } else if (containers) {
    const { MinioContainer } = await import('@testcontainers/minio');
    const container = await new MinioContainer('minio/minio:latest').start();
    stops.push(() => container.stop());
    s3 = {
      endpoint: container.getConnectionUrl(),
      accessKeyId: container.getUsername(),
      secretAccessKey: container.getPassword(),
      region: 'us-east-1',
    };
    sources.push('MinIO in a container');
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'imagen-queue-s3-'));
    const server = await startS3Server({ dir });
    stops.push(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const { endpoint, accessKeyId, secretAccessKey } = server;
    s3 = { endpoint, accessKeyId, secretAccessKey, region: 'us-east-1' };
    sources.push('s3rver in process');
  }
  return { services: { redisUrl, s3, source: sources.join(', ') }, stop };
}

async function containerEngineAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5_000).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}
