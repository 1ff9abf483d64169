import {
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { JOB_RECORD, type Job, normalizeGeneration, redisKeys } from '@imagen-queue/contract';
import { createStorage, IMAGE_RETENTION_RULE, loadConfig } from '@imagen-queue/shared';
import { createImageCacheStore, fingerprint } from '@imagen-queue/store';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

// IMAGE_RETENTION_DAYS: the worker puts a lifecycle rule on the bucket at start, the job view
// says when the images may be gone, and the image cache never serves images past that.
const prefix = testPrefix();
let stack: Awaited<ReturnType<typeof startStack>>;
let s3: S3Client;
let redis: Redis;

beforeAll(async () => {
  stack = await startStack({ prefix, env: { IMAGE_RETENTION_DAYS: '3' } });
  s3 = new S3Client({
    endpoint: stack.env.S3_ENDPOINT!,
    region: stack.env.S3_REGION!,
    forcePathStyle: true,
    credentials: {
      accessKeyId: stack.env.S3_ACCESS_KEY_ID!,
      secretAccessKey: stack.env.S3_SECRET_ACCESS_KEY!,
    },
  });
  redis = new Redis(stack.env.REDIS_URL!);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  redis?.disconnect();
  await stack?.stop();
});

const lifecycle = () =>
  s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: stack.env.S3_BUCKET! }));

describe('IMAGE_RETENTION_DAYS', () => {
  it('is a lifecycle rule on the bucket, expiring the images after that many days', async () => {
    // The worker sets it in the background once it has started.
    await waitUntil(async () => ((await lifecycle().catch(() => null))?.Rules?.length ?? 0) > 0);
    const { Rules } = await lifecycle();
    expect(Rules).toEqual([
      expect.objectContaining({
        ID: IMAGE_RETENTION_RULE,
        Status: 'Enabled',
        Filter: { Prefix: '' },
        Expiration: expect.objectContaining({ Days: 3 }),
      }),
    ]);
  });

  it('shows in the job view as expires_at, retention days after the job finished', async () => {
    const submitted = await stack.submitJob({ prompt: 'a kite that will not last' });
    let job: Job = submitted;
    await waitUntil(async () => {
      job = await stack.job(submitted.id);
      return job.status === 'succeeded';
    });
    expect(job.expires_at).toBe(
      new Date(Date.parse(job.finished_at!) + 3 * 86_400_000).toISOString(),
    );
  });

  it('the image cache does not serve a job whose images are past their expiry', async () => {
    const keys = redisKeys(prefix);
    const cache = createImageCacheStore(redis, {
      prefix,
      ttlSeconds: 7 * 86_400,
      imageRetentionDays: 3,
    });
    const request = normalizeGeneration({ prompt: 'an old kite', seed: 7 });
    const result = {
      images: [
        {
          key: 'acme/single/x/0.png',
          mime_type: 'image/png',
          width: 1,
          height: 1,
          bytes: 1,
          sha256: 'a',
        },
      ],
      enhanced_prompt: null,
      filtered: 0,
    };
    const store = async (id: string, finishedAt: Date) => {
      await redis.hset(
        keys.job('acme', id),
        JOB_RECORD.encode({
          id,
          tenant: 'acme',
          batchId: null,
          status: 'succeeded',
          attempts: 1,
          createdAt: finishedAt.toISOString(),
          startedAt: finishedAt.toISOString(),
          finishedAt: finishedAt.toISOString(),
          request,
          metadata: {},
          webhookUrl: null,
          priority: 0,
          result,
          error: null,
        }),
      );
      await redis.expire(keys.job('acme', id), 600);
      await cache.remember('acme', request, { jobId: id, result });
    };
    // Finished two days ago: its images have a day left.
    await store('job_recent', new Date(Date.now() - 2 * 86_400_000));
    expect(await cache.find('acme', request)).toEqual({ jobId: 'job_recent', result });
    // Finished four days ago: the lifecycle rule may have removed its images.
    await store('job_old', new Date(Date.now() - 4 * 86_400_000));
    expect(await cache.find('acme', request)).toBeNull();
    // …and the entry is gone, so the next repeat generates afresh.
    expect(await redis.exists(keys.imageCache('acme', fingerprint(request)))).toBe(0);
  });

  it('unset, the rule is taken off again and other rules are left alone', async () => {
    const config = loadConfig({ ...stack.env, IMAGE_RETENTION_DAYS: '' });
    const storage = createStorage(config.s3);
    try {
      expect(await storage.applyImageRetention(3)).toBe('unchanged');
      expect(await storage.applyImageRetention(5)).toBe('set');
      expect((await lifecycle()).Rules?.[0]?.Expiration?.Days).toBe(5);
      expect(await storage.applyImageRetention(null)).toBe('removed');
      await expect(lifecycle()).rejects.toMatchObject({ name: 'NoSuchLifecycleConfiguration' });
      expect(await storage.applyImageRetention(null)).toBe('unchanged');
      // An operator's own rule survives both.
      const theirs = {
        ID: 'operator-logs',
        Status: 'Enabled' as const,
        Filter: { Prefix: 'logs/' },
        Expiration: { Days: 30 },
      };
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: stack.env.S3_BUCKET!,
          LifecycleConfiguration: { Rules: [theirs] },
        }),
      );
      expect(await storage.applyImageRetention(3)).toBe('set');
      expect((await lifecycle()).Rules?.map((rule) => rule.ID)).toEqual([
        'operator-logs',
        IMAGE_RETENTION_RULE,
      ]);
      expect(await storage.applyImageRetention(null)).toBe('removed');
      expect((await lifecycle()).Rules).toEqual([expect.objectContaining(theirs)]);
    } finally {
      storage.close();
    }
  });
});
