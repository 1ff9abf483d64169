import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@imagen-queue/dev-stack';
import { createRedis } from '@imagen-queue/store';
import { describe, expect, it } from 'vitest';
import { startS3Process, waitUntil } from '../support/processes.ts';
import { countObjects, report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

const JOBS = 400;

describe('fault: S3 unreachable for 60 s at the adaptive concurrency', () => {
  it('costs at most a few dozen provider calls, bounded Redis growth, and every job is stored once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iq-s3a-'));
    const port = await freePort();
    const bucket = 'fault-s3a-bucket';
    const prefix = testPrefix();
    let s3 = await startS3Process(port, dir, bucket);
    const stack = await startStack({
      prefix,
      workers: 1,
      emulatorEnv: { EMULATOR_LATENCY_MS: '1000-2000', EMULATOR_SMALL_IMAGES: 'true' },
      // Concurrency adaptive (no WORKER_CONCURRENCY); a high pace from the start.
      env: {
        S3_ENDPOINT: `http://127.0.0.1:${port}`,
        S3_BUCKET: bucket,
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
        PROVIDER_INITIAL_RATE_PER_MIN: '1200',
      },
    });
    const redis = createRedis(
      { url: stack.env.REDIS_URL!, clusterNodes: null, prefix },
      { name: 'fault-s3a-test', role: 'worker' },
    );
    const spoolKeys = async () => (await redis.keys(`${prefix}:*:spool:*`)).length;
    try {
      const batchId = await stack.submitBatch(
        Array.from({ length: JOBS }, (_, i) => ({ prompt: `s3 outage adaptive ${i}`, seed: i })),
      );
      await waitUntil(
        async () => (await stack.batch(batchId)).counts.succeeded >= 60,
        120_000,
        'progress',
      );
      await s3.stop('SIGKILL');
      const atOutage = await stack.emulatorStats();
      await sleep(60_000);
      const atReturn = await stack.emulatorStats();
      const spooled = await spoolKeys();
      s3 = await startS3Process(port, dir, bucket);

      const batch = await stack.waitForBatch(batchId, 240_000);
      const stats = await stack.emulatorStats();
      const objects = await countObjects(stack.env, `acme/${batchId}/`);
      const callsDuringOutage = atReturn.requests! - atOutage.requests!;
      report('s3 outage at adaptive concurrency', {
        calls_during_outage: callsDuringOutage,
        spooled_at_return: spooled,
        images_generated: stats.images!,
        duplicate_objects: objects - JOBS,
      });
      // What was in flight when S3 went away, and one probe's worth: not a minute of the pace.
      expect(callsDuringOutage).toBeLessThanOrEqual(48);
      expect(spooled).toBeLessThanOrEqual(callsDuringOutage + 48);
      expect(batch.counts).toMatchObject({ total: JOBS, succeeded: JOBS, failed: 0 });
      expect(stats.images).toBe(JOBS);
      expect(objects).toBe(JOBS);
      expect(await spoolKeys()).toBe(0);
    } finally {
      await redis.quit();
      await stack.stop();
      await s3.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 420_000);
});
