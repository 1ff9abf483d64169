import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

const QUOTA = 300;

describe('the defaults reach the provider quota', () => {
  it('two workers at defaults reach a 300/min quota they are not told within two minutes, with ≤ 2 % 429s', async () => {
    const stack = await startStack({
      prefix: testPrefix(),
      workers: 2,
      emulatorEnv: {
        EMULATOR_LATENCY_MS: '3000-6000',
        EMULATOR_RATE_LIMIT_RPM: String(QUOTA),
        EMULATOR_RETRY_AFTER: 'false',
        EMULATOR_SMALL_IMAGES: 'true',
      },
      // No WORKER_CONCURRENCY, no PROVIDER_RATE_LIMIT_PER_MIN: every setting at its default.
    });
    try {
      const batchId = await stack.submitBatch(
        Array.from({ length: 3 * QUOTA }, (_, i) => ({ prompt: `quota ${i}`, seed: i })),
      );
      await waitUntil(async () => (await stack.emulatorStats()).requests! >= 1, 30_000, 'a call');
      const accepted = (s: Record<string, number>) => s.requests! - s.rate_limited!;
      const start = await stack.emulatorStats();
      // The emulator's own counts of what its quota accepted, read a minute apart.
      await sleep(60_000);
      const afterOne = await stack.emulatorStats();
      await sleep(60_000);
      const afterTwo = await stack.emulatorStats();
      const secondMinute = accepted(afterTwo) - accepted(afterOne);
      const share429 =
        (afterTwo.rate_limited! - start.rate_limited!) /
        Math.max(1, afterTwo.requests! - start.requests!);
      report('quota discovery', {
        quota: QUOTA,
        first_minute: accepted(afterOne) - accepted(start),
        second_minute: secondMinute,
        share_429: share429,
      });
      expect(secondMinute).toBeGreaterThanOrEqual(0.9 * QUOTA);
      expect(share429).toBeLessThanOrEqual(0.02);
      const canceled = await stack.request(`/v1/batches/${batchId}/cancel`, {
        method: 'POST',
        body: '{}',
      });
      expect(canceled.status).toBeLessThan(300);
    } finally {
      await stack.stop();
    }
  }, 240_000);
});
