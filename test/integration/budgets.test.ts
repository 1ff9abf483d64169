import { type Batch, bullPrefix, type Job, QUEUES, redisKeys } from '@imagen-queue/contract';
import type { BilledCall } from '@imagen-queue/imagen';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

const PRICE = 0.04;
const CONCURRENCY = 8;
const WORKERS = 2;

describe('budgets: a batch stops starting jobs once its max_cost_usd is spent', () => {
  const prefix = testPrefix();
  let stack: Awaited<ReturnType<typeof startStack>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    stack = await startStack({
      prefix,
      workers: WORKERS,
      emulatorEnv: { EMULATOR_LATENCY_MS: '150-300', EMULATOR_PRICE_USD: String(PRICE) },
      env: {
        WORKER_CONCURRENCY: String(CONCURRENCY),
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('50 jobs, a cap worth 10: spends at most the cap plus the calls in flight', async () => {
    const maxCost = 10 * PRICE;
    const { status, body } = await stack.request('/v1/batches', {
      method: 'POST',
      body: JSON.stringify({
        jobs: Array.from({ length: 50 }, (_, i) => ({ prompt: `budget ${i}` })),
        max_cost_usd: maxCost,
        webhook_url: receiver.url,
      }),
    });
    expect(status, JSON.stringify(body)).toBe(202);
    const id = (body as Batch).id;
    const done = await stack.waitForBatch(id);
    const batch = (await stack.request(`/v1/batches/${id}`)).body as Batch;
    const jobs = (await stack.batchJobs(id)) as Job[];
    const { data: calls } = (await (
      await fetch(`${stack.emulator.url}/__emulator/calls`)
    ).json()) as { data: BilledCall[] };
    const spent = calls.reduce((sum, call) => sum + call.usd, 0);
    const inFlight = WORKERS * CONCURRENCY;
    report('batch budget', {
      max_cost_usd: maxCost,
      spent_usd: spent.toFixed(2),
      calls: calls.length,
      budget_exceeded: jobs.filter((j) => j.error?.code === 'budget_exceeded').length,
    });

    expect(done.status).toBe('completed');
    expect(spent).toBeLessThanOrEqual(maxCost + inFlight * PRICE + 1e-9);
    expect(spent).toBeGreaterThanOrEqual(maxCost - 1e-9);
    expect(batch.usage.cost_usd).toBeCloseTo(spent, 6);
    expect(batch.stop_reason).toBe('budget_exceeded');
    const succeeded = jobs.filter((job) => job.status === 'succeeded');
    const stopped = jobs.filter((job) => job.status !== 'succeeded');
    expect(succeeded.length).toBe(calls.length);
    expect(stopped.length).toBeGreaterThan(0);
    for (const job of stopped) {
      expect(job.status).toBe('canceled');
      expect(job.error?.code).toBe('budget_exceeded');
      expect(job.usage.provider_calls).toBe(0);
    }
    expect(done.counts).toMatchObject({
      total: 50,
      succeeded: succeeded.length,
      canceled: stopped.length,
    });

    // batch.completed, once. Counting after 51 deliveries would miss a late duplicate; counted
    // once nothing more can come: the batch is completed (above), the tenant's outbox is empty
    // (every finished job's events are enqueued) and the webhook queue has no job left to run.
    const redis = new Redis(stack.env.REDIS_URL!);
    const webhooks = new Queue(QUEUES.webhooks, {
      connection: { url: stack.env.REDIS_URL! },
      prefix: bullPrefix(prefix),
    });
    try {
      await waitUntil(
        async () => {
          const outboxed = await redis.zcard(redisKeys(prefix).outbox('acme'));
          const pending = await webhooks.getJobCounts(
            'waiting',
            'active',
            'delayed',
            'prioritized',
            'waiting-children',
          );
          return outboxed === 0 && Object.values(pending).every((count) => count === 0);
        },
        60_000,
        'the webhook outbox and queue to drain',
      );
    } finally {
      await webhooks.close();
      redis.disconnect();
    }
    const deliveries = receiver.received;
    expect(deliveries.length).toBeGreaterThanOrEqual(51);
    const completed = deliveries.filter((d) => d.json.type === 'batch.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]!.json.data).toMatchObject({ id, stop_reason: 'budget_exceeded' });
  });

  it('refuses at submission a batch whose estimate is over its max_cost_usd', async () => {
    // The model's running average is known now (from the batch above).
    const { status, body } = await stack.request('/v1/batches', {
      method: 'POST',
      body: JSON.stringify({
        jobs: Array.from({ length: 20 }, (_, i) => ({ prompt: `too dear ${i}` })),
        max_cost_usd: 5 * PRICE,
      }),
    });
    expect(status).toBe(400);
    expect((body as { errors: { path: string }[] }).errors[0]!.path).toBe('/max_cost_usd');
  });
});
