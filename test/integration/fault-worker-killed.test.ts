import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { countObjects, report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

describe('fault: a worker SIGKILLed mid-batch', () => {
  it('every job succeeds, one object per image, one terminal transition per job', async () => {
    const prefix = testPrefix();
    const stack = await startStack({
      prefix,
      workers: 2,
      emulatorEnv: { EMULATOR_LATENCY_MS: '20-120' },
      env: { WORKER_CONCURRENCY: '4', IMAGEN_TIMEOUT_MS: '5000' },
    });
    try {
      const jobs = Array.from({ length: 300 }, (_, i) => ({
        prompt: `worker crash test ${i}`,
        seed: i,
        num_images: i % 3 === 0 ? 2 : 1,
      }));
      const imagesAsked = jobs.reduce((sum, job) => sum + job.num_images, 0);
      const batchId = await stack.submitBatch(jobs);
      await waitUntil(
        async () => (await stack.batch(batchId)).counts.succeeded >= 60,
        60_000,
        'progress',
      );
      await stack.workers[0]!.stop('SIGKILL');
      await stack.addWorker('worker-3');

      const batch = await stack.waitForBatch(batchId, 180_000);
      const objects = await countObjects(stack.env, `acme/${batchId}/`);
      const stats = await stack.emulatorStats();
      const terminalCounts = await readTerminalCounts(
        stack.env.REDIS_URL!,
        prefix,
        (await stack.batchJobs(batchId)).map((j) => j.id),
      );
      report('worker killed', {
        jobs_lost: 300 - batch.counts.succeeded,
        duplicate_objects: objects - imagesAsked,
        provider_calls_per_image: (stats.requests! / imagesAsked).toFixed(3),
        images_generated: stats.images!,
      });
      expect(batch.counts).toMatchObject({
        total: 300,
        succeeded: 300,
        failed: 0,
        queued: 0,
        running: 0,
      });
      expect(objects).toBe(imagesAsked);
      expect(terminalCounts.filter((count) => count !== 1)).toEqual([]);
    } finally {
      await stack.stop();
    }
  });
});

async function readTerminalCounts(url: string, prefix: string, ids: string[]): Promise<number[]> {
  const redis = new Redis(url);
  try {
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hget(`${prefix}:{t:acme}:job:${id}`, 'terminal_count');
    return ((await pipeline.exec()) ?? []).map(([, value]) => Number(value));
  } finally {
    redis.disconnect();
  }
}
