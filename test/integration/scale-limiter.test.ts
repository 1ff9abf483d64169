import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

const LIMIT_PER_MIN = 60;
const WINDOW_S = 10;

describe('scale-out: one provider limiter shared by two worker processes', () => {
  it('keeps the fleet under PROVIDER_RATE_LIMIT_PER_MIN, not each worker', async () => {
    const stack = await startStack({
      prefix: testPrefix(),
      workers: 2,
      emulatorEnv: { EMULATOR_LATENCY_MS: '20' },
      env: { WORKER_CONCURRENCY: '4', PROVIDER_RATE_LIMIT_PER_MIN: String(LIMIT_PER_MIN) },
    });
    try {
      const batchId = await stack.submitBatch(
        Array.from({ length: 80 }, (_, i) => ({ prompt: `shared limiter ${i}`, seed: i })),
      );
      await waitUntil(async () => (await stack.emulatorStats()).requests! >= 3, 30_000, 'calls');
      const before = (await stack.emulatorStats()).requests!;
      await sleep(WINDOW_S * 1000);
      const inWindow = (await stack.emulatorStats()).requests! - before;
      // The limit's share of the window, one call of burst, one call in flight at either edge.
      const allowed = (LIMIT_PER_MIN * WINDOW_S) / 60 + 2;
      report('shared limiter', { workers: 2, calls_in_window: inWindow, allowed });
      expect(inWindow).toBeLessThanOrEqual(allowed);
      // Two workers each keeping the pace alone would make about twice the calls.
      expect(inWindow).toBeGreaterThan(0);
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
