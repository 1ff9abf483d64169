import type { Job } from '@imagen-queue/contract';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

describe('fault: provider storm (429s without Retry-After, 30% 5xx, 5% hangs)', () => {
  it('every job succeeds and none burns its attempts on 429s; a [blocked] prompt fails at once', async () => {
    const stack = await startStack({
      prefix: testPrefix(),
      workers: 2,
      emulatorEnv: {
        EMULATOR_LATENCY_MS: '20-80',
        EMULATOR_RATE_LIMIT_RPM: '20',
        EMULATOR_RETRY_AFTER: 'false',
        EMULATOR_FAILURE_RATE: '0.3',
        EMULATOR_HANG_RATE: '0.05',
      },
      env: {
        WORKER_CONCURRENCY: '4',
        IMAGEN_TIMEOUT_MS: '1500',
        JOB_ATTEMPTS: '12',
        RETRY_BASE_MS: '100',
        RETRY_MAX_MS: '1000',
        // Start well above the emulator's limit so the storm of 429s happens. The emulator's
        // window is a rolling minute and its 5xx count against it, as a provider's do: 22 jobs
        // need at least 22 calls, more than the 20 a minute allows whatever the 5xx draw, so
        // the storm of 429s is certain and the last few wait for the window to roll.
        PROVIDER_INITIAL_RATE_PER_MIN: '1200',
      },
    });
    try {
      const batchId = await stack.submitBatch(
        Array.from({ length: 22 }, (_, i) => ({ prompt: `storm test ${i}`, seed: i })),
      );
      const batch = await stack.waitForBatch(batchId, 240_000);
      const jobs: Job[] = await stack.batchJobs(batchId);
      const stats = await stack.emulatorStats();
      const attempts = jobs.reduce((sum, job) => sum + job.attempts, 0);
      report('provider storm', {
        failed_jobs: batch.counts.failed,
        provider_calls: stats.requests!,
        rate_limited: stats.rate_limited!,
        share_429: (stats.rate_limited! / stats.requests!).toFixed(3),
        attempts_counted: attempts,
      });
      expect(batch.counts).toMatchObject({ total: 22, succeeded: 22, failed: 0 });
      expect(stats.rate_limited).toBeGreaterThan(0);
      // Every provider call but the 429s is an attempt on some job: 429s used none.
      expect(attempts).toBe(stats.requests! - stats.rate_limited!);

      await fetch(`${stack.emulator.url}/__emulator/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ failureRate: 0, hangRate: 0, rateLimitRpm: 0 }),
      });
      await fetch(`${stack.emulator.url}/__emulator/reset`, { method: 'POST' });
      const blocked = await stack.submitJob({ prompt: 'a [blocked] picture' });
      let job: Job = blocked;
      await waitUntil(async () => {
        job = await stack.job(blocked.id);
        return job.status === 'failed' || job.status === 'succeeded';
      });
      expect(job).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { code: 'content_filtered', retryable: false },
      });
      expect((await stack.emulatorStats()).requests).toBe(1);
    } finally {
      await stack.stop();
    }
  }, 200_000);
});
