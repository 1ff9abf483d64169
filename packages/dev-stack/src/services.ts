import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import type { RunOptions } from './processes.ts';
import { startRedisServer } from './redis-server.ts';
import { startS3Server } from './s3-server.ts';
import { createStack } from './stack.ts';
import { startS3Process } from './start-processes.ts';

/** Where an S3-compatible store is and how to sign in. */
export interface S3Access {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** Where the stack's processes find Redis and S3. */
export interface Services {
  /** Empty when `redisUrl: false` was asked (the caller brings its own, e.g. a Cluster). */
  redisUrl: string;
  s3: S3Access;
  /** How they were provided, for a log line. */
  source: string;
}

export interface ServicesOptions {
  /** A Redis to use as it is; `false`: none at all. @defaultValue one is started */
  redisUrl?: string | false;
  /** An S3 to use as it is. @defaultValue one is started */
  s3?: S3Access;
  /** Start what is missing in containers (testcontainers) when an engine answers. @defaultValue false */
  containers?: boolean;
  /**
   * Where a started Redis keeps its data (`<dir>/redis`) and S3 its objects (`<dir>/s3`), kept
   * after stop. @defaultValue none: Redis persists nothing, S3 uses a temporary directory that
   * stop removes
   */
  dataDir?: string;
  /** A started Redis writes an AOF (`appendfsync everysec`). @defaultValue false */
  appendOnly?: boolean;
  /** A started Redis gets its own process group (see `startRedisServer`). @defaultValue false */
  detached?: boolean;
  /** Buckets a started S3 server creates. */
  buckets?: string[];
  /** Run a started S3 server as a process of its own, with these options. @defaultValue in this process */
  s3Process?: RunOptions;
}

/** S3 as `S3_ENDPOINT`, `S3_ACCESS_KEY_ID`… describe it, if they do. */
export function s3FromEnv(env: Record<string, string | undefined>): S3Access | undefined {
  if (!env.S3_ENDPOINT) return undefined;
  return {
    endpoint: env.S3_ENDPOINT,
    accessKeyId: env.S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? '',
    region: env.S3_REGION ?? 'us-east-1',
  };
}

/**
 * Redis and S3: those given are used as they are; the others are started, in containers when
 * asked and an engine answers, else a `redis-server` child and an s3rver on free ports.
 * `stop` stops what was started, in reverse order.
 */
export async function provideServices(
  options: ServicesOptions = {},
): Promise<{ services: Services; stop: () => Promise<void> }> {
  const stack = createStack();
  const stop = () => stack.stopAll();
  const sources: string[] = [];
  const missing = options.redisUrl === undefined || options.s3 === undefined;
  const containers = options.containers && missing && (await containerEngineAnswers());
  try {
    let redisUrl = options.redisUrl || '';
    if (options.redisUrl) {
      sources.push('redis given');
    } else if (options.redisUrl === false) {
      sources.push('no redis');
    } else if (containers) {
      const { RedisContainer } = await import('@testcontainers/redis');
      const container = await new RedisContainer('redis:7-alpine').start();
      stack.add('redis', () => container.stop());
      redisUrl = container.getConnectionUrl();
      sources.push('redis in a container');
    } else {
      const redis = await startRedisServer({
        dir: options.dataDir && join(options.dataDir, 'redis'),
        appendOnly: options.appendOnly,
        detached: options.detached,
      });
      stack.add('redis', () => redis.stop());
      redisUrl = redis.url;
      sources.push('redis-server child process');
    }

    let s3 = options.s3;
    if (s3) {
      sources.push('S3 given');
    } else if (containers) {
      const { MinioContainer } = await import('@testcontainers/minio');
      const container = await new MinioContainer('minio/minio:latest').start();
      stack.add('s3', () => container.stop());
      s3 = {
        endpoint: container.getConnectionUrl(),
        accessKeyId: container.getUsername(),
        secretAccessKey: container.getPassword(),
        region: 'us-east-1',
      };
      sources.push('MinIO in a container');
    } else {
      s3 = await startLocalS3(options, stack.add);
      sources.push(options.s3Process ? 's3rver child process' : 's3rver in process');
    }
    return { services: { redisUrl, s3, source: sources.join(', ') }, stop };
  } catch (error) {
    await stack.stopAll(() => {});
    throw error;
  }
}

async function startLocalS3(
  options: ServicesOptions,
  onStop: (name: string, stop: () => unknown) => void,
): Promise<S3Access> {
  let dir = options.dataDir && join(options.dataDir, 's3');
  if (!dir) {
    const temporary = mkdtempSync(join(tmpdir(), 'imagen-queue-s3-'));
    onStop('s3 directory', () => rmSync(temporary, { recursive: true, force: true }));
    dir = temporary;
  }
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1' };
  if (options.s3Process) {
    const server = await startS3Process(
      await freePort(),
      dir,
      options.buckets ?? [],
      options.s3Process,
    );
    onStop('s3', () => server.stop());
    return { endpoint: server.endpoint, ...credentials };
  }
  const server = await startS3Server({ dir, buckets: options.buckets });
  onStop('s3', () => server.stop());
  return { endpoint: server.endpoint, ...credentials };
}

/** The environment an API or worker gets to use `services` under one key prefix and bucket. */
export function serviceEnv(
  services: Services,
  prefix: string,
  bucket: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const { s3 } = services;
  return {
    REDIS_URL: services.redisUrl,
    QUEUE_PREFIX: prefix,
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
    ...extra,
  };
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
