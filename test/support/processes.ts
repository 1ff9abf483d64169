// The dev-stack's process harness, bound to what the integration tests want: NODE_ENV=test,
// LOG_LEVEL=info, every child tracked by the leak check, the services from vitest's `inject`.

import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { RunningProcess, RunOptions } from '@imagen-queue/dev-stack';
import * as devStack from '@imagen-queue/dev-stack';
import { inject } from 'vitest';
import { started } from './tracking.ts';

export { ROOT, type RunningProcess, waitUntil } from '@imagen-queue/dev-stack';

const testRun: RunOptions = {
  baseEnv: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info' },
  keepOutput: 1_000_000,
  waitTimeoutMs: 60_000,
  stopTimeoutMs: 15_000,
  onSpawn: ({ name, child }) => started.children.add({ name, child }),
};

/** Runs one of our entry points (`apps/api/src/server.ts`…) as a real Node process. */
export function runProcess(
  name: string,
  script: string,
  env: Record<string, string>,
  args: string[] = [],
  options: Pick<RunOptions, 'cwd' | 'nodeArgs'> = {},
): RunningProcess {
  return devStack.runProcess(name, script, env, args, { ...testRun, ...options });
}

/** The environment every spawned process shares: the test services, one prefix, one bucket. */
export function serviceEnv(
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return devStack.serviceEnv(inject('services'), prefix, `b-${prefix}`, extra);
}

/**
 * The API, once `/readyz` says 200. That needs its bucket, which a deployment provisions and a
 * worker creates at start, so it is made here first for a test that runs the API alone.
 */
export async function startApi(env: Record<string, string>) {
  if (env.S3_ENDPOINT && env.S3_BUCKET) await ensureBucket(env);
  return devStack.startApi(env, testRun);
}

/** An S3 client for the bucket a stack's environment names. */
export function s3ClientFor(env: Record<string, string>): S3Client {
  return new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? '',
    },
  });
}

async function ensureBucket(env: Record<string, string>): Promise<void> {
  const s3 = s3ClientFor(env);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: env.S3_BUCKET }));
  } catch (error) {
    const name = (error as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  } finally {
    s3.destroy();
  }
}

export const startWorker = (env: Record<string, string>, name = 'worker') =>
  devStack.startWorker(env, name, testRun);

export const startEmulator = (env: Record<string, string> = {}) =>
  devStack.startEmulator(env, testRun);

/** An S3-compatible server in a process of its own, which a test may kill and restart. */
export const startS3Process = (port: number, dir: string, bucket: string) =>
  devStack.startS3Process(port, dir, bucket, testRun);
