import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

const LIMIT_PER_MIN = 60;
const WINDOW_S = 10;

/** Provider calls the emulator counts over one window of `WINDOW_S` (a measurement period). */
async function callsInWindow(stack: Awaited<ReturnType<typeof startStack>>): Promise<number> {
  const before = (await stack.emulatorStats()).requests!;
  await sleep(WINDOW_S * 1000);
  return (await stack.emulatorStats()).requests! - before;
}

describe('scale-out: one provider limiter shared by two worker processes', () => {
  it('keeps the fleet under PROVIDER_RATE_LIMIT_PER_MIN, not each worker', async () => {
    const stack = await startStack({
      prefix: testPrefix(),
      workers: 1,
      emulatorEnv: { EMULATOR_LATENCY_MS: '20' },
      env: { WORKER_CONCURRENCY: '4', PROVIDER_RATE_LIMIT_PER_MIN: String(LIMIT_PER_MIN) },
    });
    try {
      const batchId = await stack.submitBatch(
        Array.from({ length: 80 }, (_, i) => ({ prompt: `shared limiter ${i}`, seed: i })),
      );
      await waitUntil(async () => (await stack.emulatorStats()).requests! >= 3, 30_000, 'calls');
      // One worker alone: its pace, which the ceiling already holds it to.
      const alone = await callsInWindow(stack);
      // A second worker joins; the window starts once it has run a job of its own.
      const second = await stack.addWorker('worker-2');
      await second.waitForOutput(/job succeeded/, 30_000);
      const together = await callsInWindow(stack);
      // The limit's share of the window, one call of burst, one call in flight at either edge.
      const allowed = (LIMIT_PER_MIN * WINDOW_S) / 60 + 2;
      report('shared limiter', { calls_one_worker: alone, calls_two_workers: together, allowed });
      expect(alone).toBeGreaterThan(0);
      // The fleet stays under the ceiling...
      expect(together).toBeLessThanOrEqual(allowed);
      // ...and under twice one worker's pace, which two limiters of their own would reach.
      expect(together).toBeLessThan(2 * alone);
      for (const worker of stack.workers) expect(worker.output()).toMatch(/job succeeded/);

      const canceled = await stack.request(`/v1/batches/${batchId}/cancel`, {
        method: 'POST',
        body: '{}',
      });
      expect(canceled.status).toBeLessThan(300);
    } finally {
      await stack.stop();
    }
  }, 120_000);
});
