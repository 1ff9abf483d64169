import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@imagen-queue/dev-stack';
import { describe, expect, it } from 'vitest';
import { startS3Process, waitUntil } from '../support/processes.ts';
import { countObjects, report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

describe('fault: S3 unreachable for 20 s mid-batch', () => {
  it('every job succeeds afterwards and no image is generated twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iq-s3-'));
    const port = await freePort();
    const bucket = 'fault-s3-bucket';
    let s3 = await startS3Process(port, dir, bucket);
    const stack = await startStack({
      prefix: testPrefix(),
      workers: 1,
      emulatorEnv: { EMULATOR_LATENCY_MS: '50-100' },
      env: {
        S3_ENDPOINT: `http://127.0.0.1:${port}`,
        S3_BUCKET: bucket,
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
        WORKER_CONCURRENCY: '4',
      },
    });
    try {
      const jobs = Array.from({ length: 80 }, (_, i) => ({
        prompt: `s3 outage test ${i}`,
        seed: i,
      }));
      const batchId = await stack.submitBatch(jobs);
      await waitUntil(
        async () => (await stack.batch(batchId)).counts.succeeded >= 15,
        60_000,
        'progress',
      );
      await s3.stop('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      s3 = await startS3Process(port, dir, bucket);

      const batch = await stack.waitForBatch(batchId, 180_000);
      const stats = await stack.emulatorStats();
      const objects = await countObjects(stack.env, `acme/${batchId}/`);
      report('s3 outage', {
        jobs_lost: 80 - batch.counts.succeeded,
        images_generated: stats.images!,
        images_asked: 80,
        duplicate_objects: objects - 80,
      });
      expect(batch.counts).toMatchObject({ total: 80, succeeded: 80, failed: 0 });
      expect(stats.images).toBe(80);
      expect(objects).toBe(80);
    } finally {
      await stack.stop();
      await s3.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
