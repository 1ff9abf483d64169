import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '@imagen-queue/dev-stack';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

describe('fault: Redis killed and restarted from its AOF mid-batch', () => {
  it('loses no accepted job; API and workers recover by themselves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iq-redis-'));
    let redis = await startRedisServer({ dir, appendOnly: true });
    const stack = await startStack({
      prefix: testPrefix(),
      workers: 2,
      emulatorEnv: { EMULATOR_LATENCY_MS: '50-150' },
      env: { REDIS_URL: redis.url, WORKER_CONCURRENCY: '4', IMAGEN_TIMEOUT_MS: '5000' },
    });
    try {
      const batchId = await stack.submitBatch(
        Array.from({ length: 200 }, (_, i) => ({ prompt: `redis restart test ${i}`, seed: i })),
      );
      await waitUntil(
        async () => (await stack.batch(batchId)).counts.succeeded >= 40,
        60_000,
        'progress',
      );
      // Past appendfsync everysec's window: the accepted batch is on disk.
      await redis.kill();
      const down = await stack.request(`/v1/batches/${batchId}`);
      expect(down.status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      redis = await startRedisServer({ dir, appendOnly: true, port: redis.port });

      const batch = await stack.waitForBatch(batchId, 180_000);
      const stats = await stack.emulatorStats();
      report('redis restart', {
        jobs_lost: 200 - batch.counts.succeeded,
        provider_calls_per_image: (stats.requests! / 200).toFixed(3),
      });
      expect(batch.counts).toMatchObject({ total: 200, succeeded: 200, failed: 0 });
    } finally {
      await stack.stop();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
