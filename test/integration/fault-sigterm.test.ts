import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

describe('fault: SIGTERM to a worker during a batch', () => {
  it('lets in-flight jobs finish, exits 0, and leaves no stalled job', async () => {
    const prefix = testPrefix();
    const stack = await startStack({
      prefix,
      workers: 1,
      emulatorEnv: { EMULATOR_LATENCY_MS: '1000-2000' },
      env: { WORKER_CONCURRENCY: '4' },
    });
    try {
      const batchId = await stack.submitBatch(
        Array.from({ length: 24 }, (_, i) => ({ prompt: `sigterm test ${i}`, seed: i })),
      );
      await waitUntil(
        async () => (await stack.batch(batchId)).counts.running >= 3,
        30_000,
        'jobs running',
      );
      const started = Date.now();
      const exit = await stack.workers[0]!.stop('SIGTERM', 60_000);
      const afterStop = await stack.batch(batchId);
      const redis = new Redis(stack.env.REDIS_URL!);
      const active = await redis.llen(`{${prefix}}:generation:active`);
      redis.disconnect();
      report('sigterm', {
        exit_code: String(exit.code),
        stop_ms: Date.now() - started,
        active_after: active,
        running_after: afterStop.counts.running,
      });
      expect(exit).toEqual({ code: 0, signal: null });
      expect(active).toBe(0);
      expect(afterStop.counts.running).toBe(0);
      expect(afterStop.counts.succeeded).toBeGreaterThanOrEqual(3);

      await stack.addWorker('worker-2');
      const batch = await stack.waitForBatch(batchId, 120_000);
      expect(batch.counts).toMatchObject({ total: 24, succeeded: 24 });
    } finally {
      await stack.stop();
    }
  });
});
