import type { Job } from '@imagen-queue/contract';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

const B_KEY = 'beta-fair-share-key-1';
const CONCURRENCY = 8;

describe('fair share between tenants', () => {
  it("one tenant's 2,000-job batch does not starve another tenant's single job", async () => {
    const stack = await startStack({
      prefix: testPrefix(),
      workers: 1,
      emulatorEnv: { EMULATOR_LATENCY_MS: '200' },
      env: {
        API_KEYS: `acme:acme-fault-key-1,beta:${B_KEY}`,
        API_RATE_LIMIT_PER_MIN: '100000',
        WORKER_CONCURRENCY: String(CONCURRENCY),
        PROVIDER_INITIAL_RATE_PER_MIN: '100000',
      },
    });
    try {
      const batchA = await stack.submitBatch(
        Array.from({ length: 2000 }, (_, i) => ({ prompt: `tenant A job ${i}`, seed: i })),
      );
      // B arrives while A's batch is running, not before it has begun.
      await waitUntil(
        async () => (await stack.batch(batchA)).counts.succeeded >= 2 * CONCURRENCY,
        60_000,
        "A's batch under way",
      );
      const asB = { authorization: `Bearer ${B_KEY}`, 'content-type': 'application/json' };
      const submitted = await fetch(`${stack.api.url}/v1/jobs`, {
        method: 'POST',
        headers: asB,
        body: JSON.stringify({ prompt: 'tenant B, one job' }),
      });
      expect(submitted.status).toBe(202);
      const { id } = (await submitted.json()) as Job;
      let jobB: Job | null = null;
      await waitUntil(
        async () => {
          const response = await fetch(`${stack.api.url}/v1/jobs/${id}`, { headers: asB });
          jobB = (await response.json()) as Job;
          return jobB.status === 'succeeded';
        },
        60_000,
        "B's job",
      );
      const b = jobB! as Job;
      const jobsA = await stack.batchJobs(batchA);
      const aheadOfB = jobsA.filter(
        (job) => job.started_at && job.started_at > b.created_at && job.started_at < b.started_at!,
      ).length;
      const bWaitMs = Date.parse(b.started_at!) - Date.parse(b.created_at);
      const aStartedBefore = jobsA.filter(
        (job) => job.started_at && job.started_at <= b.created_at,
      ).length;
      report('fair share', {
        a_started_before_b_arrived: aStartedBefore,
        a_started_while_b_waited: aheadOfB,
        b_wait_ms: bWaitMs,
      });
      // First come, first served would start every one of A's ~1,980 queued jobs first.
      expect(aheadOfB).toBeLessThanOrEqual(2 * CONCURRENCY);

      // Within one tenant, a job with a `priority` goes ahead of that tenant's own backlog.
      const urgent = await stack.submitJob({ prompt: 'tenant A, urgent', priority: 1 });
      await waitUntil(
        async () => (await stack.job(urgent.id)).status === 'succeeded',
        60_000,
        "A's urgent job",
      );
      const u = await stack.job(urgent.id);
      const aheadOfUrgent = (await stack.batchJobs(batchA)).filter(
        (job) => job.started_at && job.started_at > u.created_at && job.started_at < u.started_at!,
      ).length;
      report('fair share, priority within a tenant', {
        a_started_while_urgent_waited: aheadOfUrgent,
      });
      expect(aheadOfUrgent).toBeLessThanOrEqual(2 * CONCURRENCY);

      const canceled = await stack.request(`/v1/batches/${batchA}/cancel`, {
        method: 'POST',
        body: '{}',
      });
      expect(canceled.status, JSON.stringify(canceled.body)).toBeLessThan(300);
    } finally {
      await stack.stop();
    }
  }, 180_000);
});
